import { parseDocument } from '../../src/knowledge';

describe('parseDocument: Markdown', () => {
  const markdown = [
    '# Billing guide',
    '',
    'Intro &amp; overview with `code`, **bold** and [a link](https://example.com).',
    '',
    '## Refunds',
    '',
    'Refunds take *five* days.',
    'They go to the original card.',
    '',
    '- one',
    '- two',
    '  1. nested',
    '',
    '### Partial refunds',
    '',
    '| plan | days |',
    '|------|------|',
    '| pro  | 3    |',
    '',
    '> Quoted advice.',
    '',
    '```sh',
    'curl -X POST /refunds',
    '```',
    '',
    '<div>Inline <b>html</b><script>evil()</script></div>',
    '',
    '## Invoices',
    '',
    'Invoices are monthly.',
  ].join('\n');

  test('sections carry their heading path; inline markup is reduced to text', () => {
    expect(parseDocument({ content: markdown, format: 'markdown' })).toEqual({
      title: 'Billing guide',
      sections: [
        { headingPath: ['Billing guide'], paragraphs: ['Intro & overview with code, bold and a link.'] },
        {
          headingPath: ['Billing guide', 'Refunds'],
          paragraphs: ['Refunds take five days.\nThey go to the original card.', '- one\n- two\n  1. nested'],
        },
        {
          headingPath: ['Billing guide', 'Refunds', 'Partial refunds'],
          paragraphs: ['plan | days\npro | 3', 'Quoted advice.', 'curl -X POST /refunds', 'Inline html'],
        },
        { headingPath: ['Billing guide', 'Invoices'], paragraphs: ['Invoices are monthly.'] },
      ],
    });
  });

  test('a shallower heading closes the deeper ones; text before any heading has an empty path', () => {
    const parsed = parseDocument({
      content: 'Preface.\n\n## A\n\n### A.1\n\nx\n\n## B\n\ny\n',
      format: 'markdown',
    });
    expect(parsed.title).toBe('A');
    expect(parsed.sections.map((s) => s.headingPath)).toEqual([[], ['A', 'A.1'], ['B']]);
  });

  test('Windows line endings and a byte-order mark change nothing', () => {
    const unix = parseDocument({ content: '# T\n\nBody line.\n', format: 'markdown' });
    expect(parseDocument({ content: '\uFEFF# T\r\n\r\nBody line.\r\n', format: 'markdown' })).toEqual(unix);
  });
});

describe('parseDocument: HTML', () => {
  const html = `<!doctype html><html><head><title>Help &amp; FAQ</title><style>p { color: red }</style></head>
    <body><nav><a href="/">Home</a> <a href="/pricing">Pricing</a></nav>
    <header><h1>Account help</h1></header>
    <main>
      <p>Welcome&nbsp;to <b>help</b>.<br>Read on.</p>
      <script>track()</script>
      <h2>Passwords</h2>
      <div>Reset it <a href="#">here</a>. <p>Inner paragraph.</p> Tail text.</div>
      <ul><li>First <em>item</em></li><li>Second</li></ul>
      <h3>Two-factor</h3>
      <table><tr><th>App</th><th>Code</th></tr><tr><td>Authy</td><td>6 digits</td></tr></table>
      <pre>npm run reset
  --user alice</pre>
    </main><footer>© Acme</footer></body></html>`;

  test('scripts, styles and navigation are dropped; headings structure the sections', () => {
    const parsed = parseDocument({ content: html, format: 'html' });
    expect(parsed.title).toBe('Help & FAQ');
    expect(parsed.sections).toEqual([
      { headingPath: ['Account help'], paragraphs: ['Welcome to help.\nRead on.'] },
      {
        headingPath: ['Account help', 'Passwords'],
        paragraphs: ['Reset it here.', 'Inner paragraph.', 'Tail text.', '- First item', '- Second'],
      },
      {
        headingPath: ['Account help', 'Passwords', 'Two-factor'],
        paragraphs: ['App | Code\nAuthy | 6 digits', 'npm run reset\n  --user alice'],
      },
    ]);
    const all = JSON.stringify(parsed);
    for (const chrome of ['track', 'color', 'Pricing', '©']) expect(all).not.toContain(chrome);
  });

  test('a fragment without <html> or <main> works too, titled by its h1', () => {
    const parsed = parseDocument({ content: '<h1>Short</h1><p>One.</p><p>Two.</p>', format: 'html' });
    expect(parsed).toEqual({
      title: 'Short',
      sections: [{ headingPath: ['Short'], paragraphs: ['One.', 'Two.'] }],
    });
  });
});

describe('parseDocument: text', () => {
  test('paragraphs are separated by blank lines; no headings, no title', () => {
    const parsed = parseDocument({
      content: 'First line\r\n\r\nPara one\r\ncontinues.\n\n\n  Para two  \n',
      format: 'text',
    });
    expect(parsed).toEqual({
      title: null,
      sections: [{ headingPath: [], paragraphs: ['First line', 'Para one\ncontinues.', 'Para two'] }],
    });
  });

  test('an empty document has no sections', () => {
    expect(parseDocument({ content: '  \n\n ', format: 'text' }).sections).toEqual([]);
    expect(parseDocument({ content: '', format: 'markdown' }).sections).toEqual([]);
    expect(parseDocument({ content: '<script>x</script>', format: 'html' }).sections).toEqual([]);
  });
});
