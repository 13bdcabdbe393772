import { loadBitext, loadDefaultExamples } from '../../src/ml/datasets';
import { GENERAL_PRODUCT, PRODUCT_CATALOG, createProductClassifier } from '../../src/ml/products';
import { PRODUCTS } from '../../src/domain/vocabulary';

const background = [
  ...loadDefaultExamples().map((example) => example.text),
  ...loadBitext().map((row) => row.instruction),
];
const products = createProductClassifier(background);

describe('product classification (seed 004 catalogue)', () => {
  it('covers every product of the vocabulary, GENERAL being the fallback', () => {
    expect([...PRODUCT_CATALOG.map((p) => p.name), GENERAL_PRODUCT].sort()).toEqual([...PRODUCTS].sort());
  });

  it.each([
    ['Our ZTNA connector keeps disconnecting', 'ZTNA'],
    ['We want to replace the VPN so contractors reach one internal app only', 'ZTNA'],
    ['The web proxy blocks YouTube for the marketing team', 'SWG'],
    ['The URL category of our intranet is wrong, it is shown as gambling', 'SWG'],
    [
      'Credit card numbers in an email attachment were not detected by the data loss prevention policy',
      'DLP',
    ],
    ['The DLP rule has too many false positives', 'DLP'],
    ['Port 8443 is blocked by the cloud firewall', 'CFW'],
    ['Our IPsec tunnel from the branch office keeps dropping', 'CFW'],
    ['Shadow IT discovery does not list the unsanctioned apps', 'CASB'],
    ['The CASB API connector for Box stopped scanning', 'CASB'],
    ['The posture scan of our Microsoft 365 tenant reports a misconfiguration we fixed', 'SSPM'],
    ['SSPM findings for GitHub are stale', 'SSPM'],
  ])('%s → %s', (text, product) => {
    const prediction = products.predict(text);
    expect(prediction.label).toBe(product);
    expect(prediction.evidence.length).toBeGreaterThan(0);
  });

  it.each([
    'I was charged twice this month, please refund',
    'How do I reset my password?',
    'Please add a dark mode',
    'The dashboard does not load',
    'Can I get the invoice for March?',
  ])('is GENERAL when no product is concerned: %s', (text) => {
    const prediction = products.predict(text);
    expect(prediction.label).toBe(GENERAL_PRODUCT);
    expect(prediction.confidence).toBeGreaterThan(0.5);
  });

  it('knows a product by its acronym alone', () => {
    for (const { name } of PRODUCT_CATALOG)
      expect(products.predict(`question about ${name} licensing`).label).toBe(name);
  });
});
