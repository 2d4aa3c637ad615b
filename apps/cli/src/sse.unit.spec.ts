import { SseParser } from './sse';

describe('SseParser', () => {
  it('returns complete messages however the text is split, skipping comments', () => {
    const text =
      ': following the event log\n\nid: 7\nevent: SnapshotRenamed\ndata: {"a":1}\n\n: keep-alive\n\nid: 8\r\ndata: x\r\n\r\n';
    for (let cut = 0; cut <= text.length; cut++) {
      const parser = new SseParser();
      const messages = [...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))];
      expect(messages).toEqual([
        { id: '7', event: 'SnapshotRenamed', data: '{"a":1}' },
        { id: '8', data: 'x' },
      ]);
    }
  });

  it('joins multi-line data and waits for the blank line before dispatching', () => {
    const parser = new SseParser();
    expect(parser.push('data: one\ndata:two\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ data: 'one\ntwo' }]);
  });
});
