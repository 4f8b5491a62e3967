// Sanitizer reports in a process's stderr. Every test server is checked when
// it stops (server.mjs, gateway.mjs), so a suite fails on a report whatever
// its tests assert. The pattern matches every sanitizer the builds use:
//   ==12==ERROR: AddressSanitizer: heap-use-after-free ...
//   ==12==ERROR: LeakSanitizer: detected memory leaks
//   WARNING: ThreadSanitizer: data race (pid=12)
//   src/x.c:3:5: runtime error: signed integer overflow ...   (UBSan)
//   SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior ...
const REPORT = /(?:ERROR|WARNING): [A-Za-z]*Sanitizer\b|\bruntime error: |^SUMMARY: [A-Za-z]*Sanitizer\b/;

// The lines of text that belong to a sanitizer report, in order ([] if none).
export function sanitizerReports(text) {
  return text.split('\n').filter((line) => REPORT.test(line));
}

// Throw when text holds a sanitizer report; who names the process.
export function assertNoSanitizerReport(text, who = 'lsf-server') {
  const lines = sanitizerReports(text);
  if (lines.length === 0) return;
  const at = text.indexOf(lines[0]);
  throw new Error(`${who} wrote a sanitizer report on stderr:\n${text.slice(at, at + 4000)}`);
}
