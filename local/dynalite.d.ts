declare module 'dynalite' {
  import type { Server } from 'node:http';

  /** Options of dynalite's server factory (the subset this project uses). */
  interface DynaliteOptions {
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
  }

  /** Creates an HTTP server that speaks DynamoDB's API, backed by LevelDB at `path` (or memory). */
  export default function dynalite(options?: DynaliteOptions): Server;
}
