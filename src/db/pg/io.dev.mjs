// Development entry of a PostgreSQL I/O thread, used only when the server runs from its TypeScript sources (tests,
// `npm run dev`): Node 20 does not carry `--import tsx` into worker threads, so tsx is registered here first.
import { register } from 'tsx/esm/api';

register();
await import('./io.ts');
