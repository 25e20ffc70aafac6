// Development entry of a reader thread, used only when the server runs from its TypeScript sources (tests,
// `npm run dev`): Node 20 does not carry `--import tsx` into worker threads, so tsx is registered here first.
import { register } from 'tsx/esm/api';

register();
const entry = await import('./worker.ts');
export default entry.default;
