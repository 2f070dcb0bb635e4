// The Windows suite, run in one node.exe process by tools/windows/test.ts
// (node:test; the files register their tests when loaded).
// rollback-injected-fault.win.ts runs on its own, under the seccomp launcher.
import './keepalive.win';
import './bad-input.win';
import './servers-tls-connecting.win';
import './rollback-late-refusal.win';
import './system-defaults.win';
