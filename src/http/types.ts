import type { AuthContext } from "./auth.js";

/** Request-scoped values only: the request id and, after auth, the site. */
export interface AppEnv {
  Variables: {
    requestId: string;
    auth: AuthContext;
  };
}
