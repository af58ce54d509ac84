// The loopback challenge server lives in src/app/ since `certdesk dev` ships it; tests import it from here.
export * from '../src/app/challenge-server.js';
