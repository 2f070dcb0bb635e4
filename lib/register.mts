// `node --import tcp-keepalive/register app.mjs`: the same single instance
// as --require (the CommonJS entry does the work).
import './register.js';
