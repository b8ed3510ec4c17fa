import { z } from 'zod';
import { parsePlaybookText } from '../../src/domain/playbook';
import { oneLineText } from '../../src/domain/text';

describe('one-line text', () => {
  const title = oneLineText(300);

  it('takes one line of text, trimmed, tabs and Unicode separators included', () => {
    expect(title.parse('  Disk full on web-01  ')).toBe('Disk full on web-01');
    expect(title.parse('a\tb')).toBe('a\tb');
  });

  it('refuses CR and LF wherever they are, and blank or control-character text', () => {
    for (const value of ['a\nb', 'a\r\nb', 'trailing\n', '\rleading', '\n', ' \t ', '\u0001a', '']) {
      expect({ value, ok: title.safeParse(value).success }).toEqual({ value, ok: false });
    }
    expect(title.safeParse('a\nb').error?.issues[0]?.message).toBe('must be one line of text: no CR, LF or other control characters');
  });

  it('states the whole rule as one pattern in JSON Schema, as the API validates it', () => {
    const schema = z.toJSONSchema(title, { io: 'input' }) as { pattern: string; allOf?: unknown };
    expect(schema.allOf).toBeUndefined();
    const pattern = new RegExp(schema.pattern, 'u');
    for (const value of ['Disk full', 'a\tb', ' padded ']) expect(pattern.test(value)).toBe(true);
    for (const value of ['a\nb', 'x\r', ' \t ', '\u0001a']) expect(pattern.test(value)).toBe(false);
  });
});

describe('playbook titles', () => {
  const playbook = (title: string, stepTitle: string) =>
    JSON.stringify({ name: 'lines', version: 1, title, steps: [{ id: 'only', kind: 'wait', title: stepTitle, for: '1h' }] });

  it('are one line: a CR or LF inside is refused at its path, a trailing newline (YAML block scalars) trimmed', () => {
    expect(parsePlaybookText(playbook('Lost device\n', 'Wait'), 'json')).toMatchObject({ ok: true, playbook: { title: 'Lost device' } });
    const refused = parsePlaybookText(playbook('Lost\ndevice', 'Wait\r\nfor it'), 'json');
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.issues.map((i) => i.path)).toEqual(['title', 'steps[0].title']);
  });
});
