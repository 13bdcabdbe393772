/**
 * Builds data/triage/default-examples.csv, the training set of the product's default categories (billing,
 * technical, feature_request): selected Bitext and BANKING77 rows relabelled (mapping in data/triage/README.md)
 * plus SaaS support requests written for this project, some combined from templates.
 *
 * The output is checked in; re-run after changing this file: `npx tsx scripts/build-default-examples.ts`.
 * Everything is seeded, so the same sources give the same file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { formatCsvRow } from '../src/ml/csv';
import { DEFAULT_EXAMPLES_FILE, loadBanking77, loadBitext } from '../src/ml/datasets';
import { seededRandom, shuffled } from '../src/ml/random';

type DefaultCategory = 'billing' | 'technical' | 'feature_request';

/** Bitext intents that are one of the default categories; the other intents have no counterpart. */
export const BITEXT_INTENT_CATEGORY: Readonly<Record<string, DefaultCategory>> = {
  check_invoice: 'billing',
  get_invoice: 'billing',
  check_payment_methods: 'billing',
  payment_issue: 'billing',
  check_refund_policy: 'billing',
  get_refund: 'billing',
  track_refund: 'billing',
  check_cancellation_fee: 'billing',
  recover_password: 'technical',
  registration_problems: 'technical',
};

/** BANKING77 intents about charges and refunds: real customers' wording of billing complaints. */
export const BANKING77_INTENT_CATEGORY: Readonly<Record<string, DefaultCategory>> = {
  transaction_charged_twice: 'billing',
  request_refund: 'billing',
  Refund_not_showing_up: 'billing',
  extra_charge_on_statement: 'billing',
  card_payment_fee_charged: 'billing',
  direct_debit_payment_not_recognised: 'billing',
  declined_card_payment: 'billing',
  passcode_forgotten: 'technical',
};

// Bitext's polite frames ("can you help me ...") recur in every intent: drawing about as many rows for billing
// as for technical keeps those frames from becoming evidence for one category.
const BITEXT_ROWS_PER_INTENT: Record<DefaultCategory, number> = {
  billing: 40,
  technical: 160,
  feature_request: 0,
};
const BANKING77_ROWS_PER_INTENT = 30;

// ---------------------------------------------------------------------------------------------------------
// Written for this project.

const BILLING = [
  'I was charged twice for my subscription this month.',
  'Why is my invoice higher than last month? Nothing changed on our side.',
  'We cancelled during the trial but still got charged for the annual plan. Please refund.',
  'Can I get a copy of the invoice for March?',
  'Our credit card was declined, how do I update the payment method?',
  'We need our VAT number on all invoices, can you add it?',
  'How do I downgrade from the Business plan to Standard?',
  'You billed us for 25 seats but we only have 18 active users.',
  'Can we pay by bank transfer instead of credit card?',
  'The prorated amount on my upgrade looks wrong.',
  'Do you offer a discount for nonprofits or schools?',
  'Please send the receipts to finance@ourcompany.com from now on.',
  'We were billed again after we cancelled our subscription.',
  'What is the price difference between monthly and annual billing?',
  'The coupon code was not applied to my last invoice.',
  'Please change the billing address on our account to our new office.',
  'Our purchase order number has to appear on the invoice or accounts payable will reject it.',
  'I see a charge from you on my statement that I do not recognise.',
  'The renewal charged the full price although we were promised the discounted rate.',
  'Can you split the invoice between two cost centers?',
  'My payment failed and now the account is locked for non-payment. I want to pay.',
  'How do I remove a user so we stop paying for their seat?',
  'Is sales tax included in the price shown on the pricing page?',
  'We upgraded mid-month; why were we charged for the whole month?',
  'Please cancel the auto-renewal of our plan.',
  'Where can I download all invoices from last year for our audit?',
  'I need a refund for the duplicate payment made on the 3rd.',
  'The invoice shows the wrong company name.',
  'Can we switch from monthly to yearly billing and get the annual discount?',
  'We have been overcharged for API usage this month, the overage fee seems wrong.',
  'Our subscription shows as unpaid although the wire transfer went out last week.',
  'How much would it cost to add 10 more seats?',
  'Do you accept PayPal?',
  'Please issue a credit note for the invoice we disputed.',
  'The card on file expired, where do I enter the new one?',
  'Why did my bill go up after the price change? Nobody told us about it.',
  'Can I get a quote for the enterprise plan for 200 users?',
  'We were charged in USD but our contract is in EUR.',
  'How do refunds work if we cancel in the middle of the year?',
  'I want to cancel my plan and get my money back.',
  'Payment keeps failing with "insufficient funds" but the card is fine.',
  'Is there a cancellation fee if we end the contract early?',
  'Please update the billing contact to our new controller.',
  'The trial ended and I was charged without any reminder email.',
  'Can you extend our payment terms to net 60?',
  'The invoice total does not match the quote we signed.',
  'Our reseller invoices us, why did we also get a charge directly from you?',
  'I need an invoice with our tax ID for reimbursement.',
  'How do I see my billing history?',
  'We paid the invoice twice by mistake, can you refund one of them?',
  'What happens to our data if we stop paying?',
  'Your pricing page says 12 per user but we are paying 15.',
  'Please confirm the payment for invoice INV-2041 was received.',
  'Direct debit was taken twice from our bank account this month.',
  'The free plan says no credit card needed, yet I was charged.',
  'Can you send a W-9 form for our accounting department?',
  'Billing question: do unused credits roll over to next month?',
  'How can I change the currency of my subscription?',
  'Why am I still being billed for a workspace I deleted?',
  'Our finance team needs invoices in PDF, not just the emailed summary.',
];

const BILLING_SUBJECTS = [
  'my subscription',
  'the annual plan',
  'our monthly invoice',
  'the last payment',
  'the renewal',
  'the seat upgrade',
  'the Pro plan',
  'our enterprise contract',
  'the add-on',
  'the storage upgrade',
];

const BILLING_FRAMES = [
  'I was charged twice for {s}.',
  'Please refund {s}, we no longer need it.',
  'The price of {s} is higher than what we agreed.',
  'Can you send me an invoice for {s}?',
  'The payment for {s} failed even though the card is valid.',
  'How do I cancel {s} without being charged again?',
  'We got billed for {s} after cancelling it.',
  'Is VAT included in the price of {s}?',
  'Can I pay for {s} by invoice instead of card?',
  'I need a receipt for {s} for my expense report.',
  'What will {s} cost if we add five more users?',
  'The charge for {s} appeared three times on our card.',
];

const TECHNICAL = [
  'The dashboard shows a blank white page since the last update.',
  'Our API calls return 401 Unauthorized even with a freshly generated token.',
  'We keep hitting 429 Too Many Requests although we send far fewer requests than the documented limit.',
  'SAML login fails with "invalid assertion" for all users since this morning.',
  'The CSV import stops at row 203 with an encoding error.',
  'Webhook deliveries fail with a signature mismatch.',
  'The Salesforce sync creates duplicate contacts every night.',
  'Times in the activity log are off by one hour since the switch to daylight saving time.',
  'Charts on the reports page show NaN instead of numbers.',
  'Notification emails are not arriving, not even in the spam folder.',
  'The password reset link says it has expired as soon as I click it.',
  'Two-factor codes from the authenticator app are always rejected.',
  'The Android app freezes on the loading screen on Android 14.',
  'The desktop client uses 8 GB of memory after a few hours and then crashes.',
  'File uploads get stuck at 99% and never finish.',
  'Search returns no results for records that definitely exist.',
  'I get "403 Forbidden" when opening project settings although I am an admin.',
  'Custom domain verification keeps failing, the CNAME record is correct.',
  'After logging in I am redirected back to the login page in an endless loop.',
  'My session expires every five minutes and I have to log in again.',
  'The whole platform is down, none of our users can log in.',
  "Some records disappeared after yesterday's migration.",
  'The Slack integration stopped posting messages to our channel.',
  'The export to PDF produces an empty file.',
  'The page crashes when I click Save on a form with more than 50 fields.',
  'The iOS app crashes on launch after updating to the latest version.',
  'Our agent on the Linux servers cannot connect and logs "TLS handshake failed".',
  'The browser extension does not load in Firefox.',
  'Scheduled reports have not been sent since Monday.',
  'Integration with Google Drive fails with "token expired" even after reconnecting.',
  'Getting a 502 Bad Gateway on every API request right now.',
  'The editor loses my changes when two people edit the same document.',
  'Calendar sync creates each event twice.',
  'The mobile app does not receive push notifications any more.',
  'Users in Europe report that the site is extremely slow today.',
  'I cannot log in: it says my account does not exist, but it did yesterday.',
  'The SSO certificate expired and nobody can sign in.',
  'Filtering by date on the tickets list returns the wrong range.',
  'When I paste an image into a comment, the page freezes.',
  'The API documentation example for creating users returns a validation error.',
  'Since the upgrade our webhooks time out after 10 seconds.',
  'Attachments over 10 MB fail with a network error.',
  'The connector installer fails on Windows Server 2019 with error 1603.',
  'The bulk delete button does nothing.',
  'Our Jira integration is not syncing comments anymore.',
  'Bug: sorting by name puts lower-case names at the end.',
  'The SDK throws a null pointer exception when the response is empty.',
  'Our proxy blocks the app because of a certificate error.',
  'Reports take more than five minutes to load for large date ranges.',
  'Dark mode makes the text in tables unreadable (black on dark grey).',
  'I am locked out after too many login attempts and the unlock email never arrives.',
  'The data in the dashboard is stale, it has not refreshed for two days.',
  'The import says success but no records were created.',
  'Error "Something went wrong (code 0x80070005)" when opening the admin console.',
  'We suspect a security breach: there are logins from countries where we have no staff.',
  "The app shows someone else's data in my workspace. This looks like a serious bug.",
  'Our integration user cannot authenticate after the password rotation.',
  'The mobile app logs me out every time I switch apps.',
  'Links in the notification emails lead to a 404 page.',
  'The autosave feature overwrote my document with an old version.',
];

const TECHNICAL_COMPONENTS = [
  'the dashboard',
  'the login page',
  'the mobile app',
  'the iPhone app',
  'the Android app',
  'the API',
  'the reports page',
  'the CSV export',
  'file upload',
  'search',
  'the Slack integration',
  'the Salesforce sync',
  'the webhook',
  'the desktop client',
  'single sign-on',
  'two-factor authentication',
  'the email notifications',
  'the calendar sync',
  'the import tool',
  'the admin console',
  'the agent on our servers',
  'the connector',
  'the editor',
  'password reset',
  'the customer portal',
];

const TECHNICAL_FRAMES = [
  '{c} keeps crashing whenever I open it.',
  '{c} is not working since this morning.',
  '{c} shows a blank page.',
  '{c} returns an internal server error (500).',
  '{c} is extremely slow, it takes minutes to load.',
  'I get an error when I use {c}: "Something went wrong".',
  '{c} stopped working after the latest update.',
  '{c} times out every time we try.',
  'Since yesterday {c} fails with a timeout error.',
  '{c} is broken for everyone on my team.',
  'Is {c} down? Nothing loads for us.',
  'There seems to be a bug in {c}, data is missing after saving.',
  'We cannot get {c} to work, it just spins forever.',
  '{c} throws an exception and logs me out.',
  'After the upgrade {c} no longer loads at all.',
  '{c} gives me a permission denied error.',
  'How do I fix the connection error in {c}?',
  '{c} freezes and I have to restart it.',
];

const FEATURE_REQUESTS = [
  'It would be great if we could schedule reports to be emailed every Monday.',
  'Please add a dark mode, my eyes would thank you.',
  'Any plans to support SSO with Okta?',
  'Feature request: bulk edit for tickets.',
  'Could you add an export to Excel on the reports page?',
  'We would love a native Jira integration.',
  'Is a Zapier connector on the roadmap?',
  'Suggestion: let admins set a default time zone for the whole organisation.',
  'I wish the mobile app worked offline on flights.',
  'Would you consider adding keyboard shortcuts for common actions?',
  'It would help a lot to have custom fields on contacts.',
  'Can you make the sidebar collapsible? Small screens need the space.',
  'Please consider a read-only guest role for our auditors.',
  'Idea: show the SLA time remaining directly in the ticket list.',
  'We need a Terraform provider to manage our configuration as code.',
  'An official Python SDK would make our integration much easier.',
  'Could the API support GraphQL in addition to REST?',
  'Please add webhooks for when a ticket changes status.',
  'It would be nice to merge duplicate contacts automatically.',
  'Can we get an audit log export to our SIEM?',
  'We would like to brand the customer portal with our own logo and colours.',
  'Please translate the interface into German and French.',
  'Add support for hardware security keys (FIDO2) for login, please.',
  'A Gantt chart view would be a great addition.',
  'Request: allow more than 10 custom statuses per workflow.',
  'Could you add an undo button after bulk actions?',
  'We would like version history for documents so we can restore older drafts.',
  'Please allow attachments larger than 25 MB.',
  'Would it be possible to add an approval step before publishing articles?',
  'A Microsoft Teams integration would make adoption much easier for us.',
  'Consider adding two-way sync with Google Calendar.',
  'Could you add a trash folder so deleted items can be restored?',
  'We need field-level permissions so HR data stays private.',
  'Markdown support in comments would be lovely.',
  'It would be useful to filter the dashboard by region.',
  'Please add EU data residency as an option.',
  'A command line tool for admins would save us a lot of clicking.',
  'I would love to @mention teammates in internal notes.',
  'Please add a kanban board view for projects.',
  'Could recurring tasks be supported?',
  'Enhancement: let us reorder the columns in table view.',
  'Any chance of an iPad app with split screen support?',
  'It would be great to have saved searches shared across the team.',
  'Could you expose usage analytics per user in the admin console?',
  'We would like to embed dashboards in our intranet.',
  'Please add IP allowlisting for the admin area.',
  'Could you add conditional logic to the forms builder?',
  'We would find a Linux desktop client really useful.',
  'Adding pagination to the export API would help with large accounts.',
  'Please let us customise the notification email templates.',
  'Nice to have: emoji reactions on comments.',
  'A PDF export of the analytics page would help our monthly board reports.',
  'It would be great if the search supported filtering by date range.',
  'Would you consider an API endpoint for listing invoices? Our finance system needs it.',
  'Suggestion: a sandbox environment for testing integrations.',
  'Could you support custom domains for the help center?',
  'Please add spell check to the editor.',
  'Please allow snoozing conversations until a chosen date.',
  'Being able to duplicate a workflow would save me a lot of time.',
  'We want to sign in with our Google Workspace accounts, is that planned?',
];

const FEATURE_NOUNS = [
  'dark mode',
  'an export to Excel',
  'bulk editing',
  'SSO with Okta',
  'SAML login with Azure AD',
  'custom fields on contacts',
  'webhooks for status changes',
  'a native Jira integration',
  'a Zapier connector',
  'keyboard shortcuts',
  'an offline mode in the mobile app',
  'scheduled email reports',
  'audit log export',
  'more granular user roles',
  'support for hardware security keys',
  'custom branding for the customer portal',
  'a German version of the interface',
  'saved filters',
  'a Gantt chart view',
  'two-way Google Calendar sync',
  'reusable templates',
  'a sandbox environment',
  'a Linux desktop client',
  'an iPad app',
  'a Microsoft Teams integration',
  'Slack notifications for new comments',
  'a read-only guest role',
  'IP allowlisting',
  'conditional logic in forms',
  'recurring tasks',
  'a kanban board',
  'markdown in comments',
  'version history for documents',
  'a command line tool',
  'a Terraform provider',
  'a Python SDK',
  'GraphQL support in the API',
  'custom domains for the help center',
  'an SLA widget on the dashboard',
  'EU data residency',
  'an approval workflow',
  'field-level permissions',
  '@mentions in notes',
  'a date range filter in search',
  'bulk user import from CSV',
  'a calendar view',
  'configurable email templates',
  'a browser extension',
  'customisable dashboards',
  'PDF export of reports',
];

const FEATURE_NOUN_FRAMES = [
  'Please add {f}.',
  'Could you add {f} to the product?',
  'Feature request: {f}.',
  'It would be great to have {f}.',
  'Are there any plans to support {f}?',
  'Is {f} on your roadmap?',
  'We would love to see {f} in a future release.',
  'Suggestion: {f} would make our team much more productive.',
  'Any chance you could build {f}?',
  "I'd like to request {f}.",
  'Our team keeps asking for {f}, can you consider it?',
  'Would you consider adding {f}?',
  'The one thing we miss is {f}.',
  'Idea for the product team: {f}.',
  'Do you plan to offer {f} anytime soon?',
  'Missing feature: {f}.',
  'Small suggestion: {f} would be really handy.',
  "We're thinking about the enterprise plan, but we would need {f} first.",
];

const FEATURE_VERBS = [
  'export reports to Excel',
  'edit several records at once',
  'schedule reports every Monday',
  'set a default time zone for the team',
  'archive old projects instead of deleting them',
  'merge duplicate contacts',
  'assign tickets automatically by keyword',
  'reorder columns in the table view',
  'pin important messages',
  'customise the notification emails',
  'filter the dashboard by region',
  'restore deleted items',
  'share a dashboard with people outside the company',
  'set different permissions per project',
  'attach files larger than 25 MB',
  'import our boards from Trello',
  'sign in with Google Workspace',
  'change the colour of labels',
  'add notes to invoices',
  'see who changed what in an audit trail',
  'mute notifications on weekends',
  'duplicate a workflow',
  'create private channels',
  'tag teammates in comments',
  'sort search results by date',
  'group tasks by assignee',
  'rename the default statuses',
  'hide fields we never use',
  'set reminders for follow-ups',
  'create users through the API',
  'download all attachments as a zip',
  'see usage analytics per user',
  'embed charts in our intranet',
  'choose which fields appear in exports',
  'snooze a conversation',
  'add our own ticket statuses',
  'lock a record while someone is editing it',
];

const FEATURE_VERB_FRAMES = [
  'It would be nice to be able to {v}.',
  'Can you make it possible to {v}?',
  'I wish I could {v}.',
  'Please let us {v}.',
  'We need a way to {v}.',
  'Is there any plan to let users {v}?',
  'It would save us hours if we could {v}.',
  'Could you allow admins to {v}?',
  'Currently there is no way to {v}. Please add this option.',
  'Would love the ability to {v}.',
  'Enhancement request: allow us to {v}.',
  'Our managers want to {v}. Any chance this gets built?',
];

// Greetings and help requests go to every category alike, so none of them signals a category.
const OPENERS = [
  '',
  '',
  '',
  'Hi, ',
  'Hello team, ',
  'Good morning! ',
  'Hey there. ',
  'Dear support, ',
  'Can you help me? ',
  'I need some help. ',
  'Hello, I have a question. ',
  'Could someone get back to me? ',
];
const CLOSERS = [
  '',
  '',
  '',
  ' Thanks.',
  ' Thanks in advance!',
  ' Let me know.',
  ' Cheers, Sam',
  ' Regards, Maria',
];

/** Short requests in the other languages the product detects, so non-English tickets are not guesswork. */
const OTHER_LANGUAGES: ReadonlyArray<[string, DefaultCategory]> = [
  ['Ich wurde diesen Monat doppelt belastet, bitte erstatten Sie den Betrag.', 'billing'],
  ['Wo finde ich die Rechnung für unser Jahresabo?', 'billing'],
  ['Die Zahlung mit Kreditkarte ist fehlgeschlagen, wie ändere ich die Zahlungsmethode?', 'billing'],
  ['Die App stürzt beim Öffnen ständig ab.', 'technical'],
  ['Ich kann mich seit heute nicht mehr anmelden, es kommt eine Fehlermeldung.', 'technical'],
  ['Die API liefert seit dem Update nur noch Fehler 500.', 'technical'],
  ['Es wäre toll, wenn es einen Dunkelmodus gäbe.', 'feature_request'],
  ['Könnt ihr bitte einen Export nach Excel hinzufügen?', 'feature_request'],
  ['Wir wünschen uns eine Integration mit Microsoft Teams.', 'feature_request'],
  ["J'ai été facturé deux fois ce mois-ci, merci de me rembourser.", 'billing'],
  ["Pouvez-vous m'envoyer la facture de mars ?", 'billing'],
  ['Le prélèvement a échoué, comment mettre à jour ma carte bancaire ?', 'billing'],
  ["L'application plante à chaque ouverture.", 'technical'],
  ["Je n'arrive plus à me connecter, j'ai un message d'erreur.", 'technical'],
  ['Le tableau de bord ne se charge plus depuis la mise à jour.', 'technical'],
  ['Ce serait super d’avoir un mode sombre.', 'feature_request'],
  ['Pourriez-vous ajouter un export vers Excel ?', 'feature_request'],
  ['Nous aimerions une intégration avec Slack.', 'feature_request'],
  ['Me cobraron dos veces la suscripción este mes, quiero un reembolso.', 'billing'],
  ['¿Dónde puedo descargar la factura del mes pasado?', 'billing'],
  ['El pago con tarjeta fue rechazado, ¿cómo cambio el método de pago?', 'billing'],
  ['La aplicación se cierra sola cada vez que la abro.', 'technical'],
  ['No puedo iniciar sesión, me aparece un error.', 'technical'],
  ['La API devuelve error 500 desde esta mañana.', 'technical'],
  ['Sería genial tener un modo oscuro.', 'feature_request'],
  ['¿Podrían añadir la exportación a Excel?', 'feature_request'],
  ['Nos gustaría una integración con Google Calendar.', 'feature_request'],
  ['Mi è stato addebitato due volte l’abbonamento, vorrei un rimborso.', 'billing'],
  ['Potete inviarmi la fattura di marzo?', 'billing'],
  ["L'app si blocca ogni volta che la apro.", 'technical'],
  ['Non riesco ad accedere, compare un errore.', 'technical'],
  ['Sarebbe fantastico avere la modalità scura.', 'feature_request'],
  ["Potreste aggiungere l'esportazione in Excel?", 'feature_request'],
  ['Fui cobrado duas vezes pela assinatura este mês, quero reembolso.', 'billing'],
  ['Onde posso baixar a fatura do mês passado?', 'billing'],
  ['O aplicativo trava toda vez que eu abro.', 'technical'],
  ['Não consigo fazer login, aparece uma mensagem de erro.', 'technical'],
  ['Seria ótimo ter um modo escuro.', 'feature_request'],
  ['Vocês poderiam adicionar exportação para Excel?', 'feature_request'],
  ['Ik ben deze maand twee keer gefactureerd, graag terugbetalen.', 'billing'],
  ['Waar kan ik de factuur van vorige maand downloaden?', 'billing'],
  ['De app crasht elke keer als ik hem open.', 'technical'],
  ['Ik kan niet inloggen, ik krijg een foutmelding.', 'technical'],
  ['Het zou geweldig zijn als er een donkere modus kwam.', 'feature_request'],
  ['Kunnen jullie een export naar Excel toevoegen?', 'feature_request'],
  ['С меня дважды списали оплату за подписку, верните деньги.', 'billing'],
  ['Пришлите, пожалуйста, счёт за прошлый месяц.', 'billing'],
  ['Приложение падает при каждом запуске.', 'technical'],
  ['Не могу войти в аккаунт, появляется ошибка.', 'technical'],
  ['Было бы здорово добавить тёмную тему.', 'feature_request'],
  ['Добавьте, пожалуйста, экспорт в Excel.', 'feature_request'],
];

function fillFrames(frames: readonly string[], slot: string, fillers: readonly string[]): string[] {
  return frames.flatMap((frame) => fillers.map((filler) => capitalise(frame.replace(slot, filler))));
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A seeded sample of `count` template fillings, each with a random greeting and sign-off. */
function sampleWithVariety(candidates: readonly string[], count: number, random: () => number): string[] {
  return shuffled(candidates, random)
    .slice(0, count)
    .map((text) => {
      const opener = OPENERS[Math.floor(random() * OPENERS.length)]!;
      const closer = CLOSERS[Math.floor(random() * CLOSERS.length)]!;
      const continuesSentence = opener.endsWith(', ');
      return `${opener}${continuesSentence ? text.charAt(0).toLowerCase() + text.slice(1) : text}${closer}`;
    });
}

function sampleRows<T>(rows: readonly T[], count: number, random: () => number): T[] {
  return shuffled(rows, random).slice(0, count);
}

export function buildDefaultExamples(dataDir: string): Array<{ text: string; category: DefaultCategory }> {
  const random = seededRandom(2024);
  const rows: Array<{ text: string; category: DefaultCategory }> = [];

  const bitext = loadBitext(dataDir);
  for (const [intent, category] of Object.entries(BITEXT_INTENT_CATEGORY)) {
    const ofIntent = bitext.filter((row) => row.intent === intent);
    for (const row of sampleRows(ofIntent, BITEXT_ROWS_PER_INTENT[category], random)) {
      rows.push({ text: row.instruction.trim(), category });
    }
  }
  const banking = loadBanking77(dataDir);
  for (const [intent, category] of Object.entries(BANKING77_INTENT_CATEGORY)) {
    const ofIntent = banking.filter((row) => row.label === intent);
    for (const row of sampleRows(ofIntent, BANKING77_ROWS_PER_INTENT, random)) {
      rows.push({ text: row.text.trim(), category });
    }
  }

  const written: Array<[DefaultCategory, string[]]> = [
    [
      'billing',
      [...BILLING, ...sampleWithVariety(fillFrames(BILLING_FRAMES, '{s}', BILLING_SUBJECTS), 110, random)],
    ],
    [
      'technical',
      [
        ...TECHNICAL,
        ...sampleWithVariety(fillFrames(TECHNICAL_FRAMES, '{c}', TECHNICAL_COMPONENTS), 380, random),
      ],
    ],
    [
      'feature_request',
      [
        ...FEATURE_REQUESTS,
        ...sampleWithVariety(fillFrames(FEATURE_NOUN_FRAMES, '{f}', FEATURE_NOUNS), 450, random),
        ...sampleWithVariety(fillFrames(FEATURE_VERB_FRAMES, '{v}', FEATURE_VERBS), 260, random),
      ],
    ],
  ];
  for (const [category, texts] of written) rows.push(...texts.map((text) => ({ text, category })));
  rows.push(...OTHER_LANGUAGES.map(([text, category]) => ({ text, category })));

  const seen = new Set<string>();
  return rows.filter((row) => {
    const key = row.text.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

if (require.main === module) {
  const dataDir = path.resolve(__dirname, '../data');
  const rows = buildDefaultExamples(dataDir);
  const lines = ['text,category', ...rows.map((row) => formatCsvRow([row.text, row.category]))];
  fs.writeFileSync(path.join(dataDir, DEFAULT_EXAMPLES_FILE), `${lines.join('\n')}\n`);
  const counts = rows.reduce<Record<string, number>>(
    (acc, row) => ({ ...acc, [row.category]: (acc[row.category] ?? 0) + 1 }),
    {},
  );
  console.log(`wrote ${rows.length} examples`, counts);
}
