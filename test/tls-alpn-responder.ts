// Moved to src/app/ with the challenge server that uses it (`certdesk dev`); tests import it from here.
export * from '../src/app/tls-alpn-responder.js';
