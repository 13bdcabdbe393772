/**
 * The security products of seed 004, described for the few-shot classifier. A ticket that matches none of them
 * closely enough is GENERAL.
 */
import { type FewShotClass, type FewShotModel, fewShotClassifier } from './classifier';

export const GENERAL_PRODUCT = 'GENERAL';

export const PRODUCT_CATALOG: readonly FewShotClass[] = [
  {
    name: 'CASB',
    description:
      'CASB Cloud Access Security Broker: visibility and control over cloud and SaaS apps, shadow IT discovery, ' +
      'sanctioned and unsanctioned applications, cloud app policies, API connectors to Microsoft 365, Google ' +
      'Workspace, Box and Salesforce.',
    examples: [
      'The CASB does not discover shadow IT apps from our firewall logs.',
      'How do I block unsanctioned cloud apps like personal Dropbox?',
      'The API connector to Microsoft 365 stopped scanning OneDrive.',
      'Cloud app risk scores are missing for some SaaS applications.',
      'We want an inline policy for uploads to unmanaged cloud storage.',
      'Shadow IT discovery shows thousands of unknown apps, can we filter them?',
      'How do I allow the corporate Google Drive but block personal accounts?',
      'The CASB activity log does not show file sharing events from Box.',
    ],
  },
  {
    name: 'SWG',
    description:
      'SWG Secure Web Gateway: web proxy, URL filtering, web categories, SSL/TLS inspection of browsing traffic, ' +
      'PAC files, malware scanning of downloads, safe search.',
    examples: [
      'The web gateway blocks a business site as gambling, please recategorise the URL.',
      'SSL inspection breaks our banking website with a certificate error.',
      'Users behind the proxy cannot reach websites since the PAC file change.',
      'How do I allowlist a domain in the URL filtering policy?',
      'Downloads are very slow through the secure web gateway.',
      'YouTube is blocked for the marketing team although the web filter policy allows it.',
      'Safe search enforcement does not work on Bing.',
      'The proxy returns a block page for a site that should be allowed.',
    ],
  },
  {
    name: 'ZTNA',
    description:
      'ZTNA Zero Trust Network Access: private access to internal applications without a VPN, app connectors, ' +
      'device posture checks, identity-based access to private apps, remote access for employees.',
    examples: [
      'Remote users cannot reach the internal wiki through the private access connector.',
      'We are replacing our VPN with zero trust access, how do we publish private apps?',
      'The app connector shows as disconnected in the ZTNA console.',
      'Device posture check fails for compliant laptops.',
      'SSH access to internal servers through the zero trust client times out.',
      'Contractors need access to one internal application only, not the whole network like with the VPN.',
      'The ZTNA client does not start on macOS after the update.',
      'Private app access is denied for users in the engineering group.',
    ],
  },
  {
    name: 'DLP',
    description:
      'DLP Data Loss Prevention: detect and block sensitive data leaving the company, credit card numbers, PII, ' +
      'GDPR and HIPAA data identifiers, exact data match, document fingerprinting, exfiltration incidents.',
    examples: [
      'The DLP policy flags every spreadsheet as containing credit card numbers.',
      'How do we create a custom data identifier for our employee IDs?',
      'An email with patient records was not blocked, why did the data loss prevention rule miss it?',
      'Too many false positives from the PII detection rule.',
      'We need to see DLP incidents for files uploaded to personal cloud storage.',
      'Customer social security numbers were pasted into a chat and nothing was detected.',
      'The fingerprint of our confidential contracts does not match edited copies.',
      'How do we block uploads of source code to public sites?',
    ],
  },
  {
    name: 'SSPM',
    description:
      'SSPM SaaS Security Posture Management: misconfigurations and security settings of SaaS tenants, posture ' +
      'checks and compliance benchmarks for Microsoft 365, Salesforce, Slack and GitHub, third-party app ' +
      'permissions.',
    examples: [
      'The posture scan reports a misconfiguration in Salesforce that we already fixed.',
      'Which SaaS security posture checks cover multi-factor authentication in Microsoft 365?',
      'SSPM findings for our GitHub organisation are not updating.',
      'How do we map posture findings to the CIS benchmark?',
      'The risky third-party OAuth app permissions report is empty.',
      'Our Microsoft 365 tenant shows a risky sharing configuration, how do we remediate it?',
      'The security score of our Slack workspace dropped after a settings change.',
      'Connect our Google Workspace tenant for posture assessment.',
    ],
  },
  {
    name: 'CFW',
    description:
      'CFW Cloud Firewall: firewall-as-a-service, network firewall rules, ports and protocols, IP addresses, ' +
      'NAT, IPsec tunnels from branch offices, intrusion prevention for non-web traffic.',
    examples: [
      'The cloud firewall blocks outbound traffic on port 8443.',
      'Our IPsec tunnel from the branch office to the cloud firewall keeps dropping.',
      'How do I add a firewall rule for a range of IP addresses?',
      'Intrusion prevention blocks our VoIP traffic.',
      'The firewall logs do not show the source IP of the blocked connection.',
      'Branch office traffic to the data center is dropped by the cloud firewall.',
      'How do I open UDP port 500 for the VPN concentrator?',
      'NAT rules on the cloud firewall are not applied to the new subnet.',
    ],
  },
];

/**
 * The product classifier for the seed's catalogue: GENERAL when no product is mentioned or implied. Ordinary
 * tickets as `background` keep generic support words ("access", "add", "report") from pointing at a product.
 */
export function createProductClassifier(
  background: readonly string[] = [],
  catalog: readonly FewShotClass[] = PRODUCT_CATALOG,
): FewShotModel {
  return fewShotClassifier(catalog, { fallbackLabel: GENERAL_PRODUCT, minSimilarity: 0.1, background });
}
