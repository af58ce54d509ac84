// Use cases are functions of (deps, ...arguments). A front end does not hold their deps (the
// store with its writes, the sealer, the CA key): src/app binds the use cases to their deps
// once and hands the front end the bound functions, as Boulder's WFE holds an RA client
// rather than the storage authority's writing interface.

import type { Actor } from './audit.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any argument list; the bound type keeps each one's own
type UseCase<D> = (deps: D, ...args: any[]) => unknown;

/** Each use case of `F` with its first argument (deps `D`) supplied. */
export type Bound<D, F extends Record<string, UseCase<D>>> = {
  readonly [K in keyof F]: F[K] extends (deps: D, ...args: infer A) => infer R ? (...args: A) => R : never;
};

export function bindUseCases<D, F extends Record<string, UseCase<D>>>(deps: D, useCases: F): Bound<D, F> {
  const bound: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(useCases)) bound[name] = (...args: unknown[]) => fn(deps, ...args);
  return bound as Bound<D, F>;
}

const DEPS = Symbol('use case deps');

/**
 * Like bindUseCases, for bindings made per request (OrderEngine.actingAs): the use cases are
 * read from a prototype made once, so a binding is one small object, and each use case is
 * bound to its deps when it is read (binding all of them eagerly cost more than a
 * microsecond per request, in a loop of such bindings).
 */
export function useCaseBinder<D, F extends Record<string, UseCase<D>>>(useCases: F): (deps: D) => Bound<D, F> {
  const proto: object = {};
  for (const [name, fn] of Object.entries(useCases)) {
    Object.defineProperty(proto, name, {
      enumerable: true,
      get(this: { [DEPS]: D }) {
        const deps = this[DEPS];
        const bound = (...args: unknown[]) => fn(deps, ...args);
        // Kept on the binding: one that serves many requests (the CAS gateway keeps one per client) binds once.
        Object.defineProperty(this, name, { value: bound, enumerable: true });
        return bound;
      },
    });
  }
  return (deps) => {
    const bound = Object.create(proto) as { [DEPS]: D };
    bound[DEPS] = deps;
    return bound as unknown as Bound<D, F>;
  };
}

/** Bound use cases (plus `X`) that can be handed to one actor. */
export type ActingUseCases<D, F extends Record<string, UseCase<D>>, X = unknown> = Bound<D, F> &
  X & {
    /** The same use cases for one client of a front end: what they change is audited as done by `actor`. */
    actingAs(actor: Actor): ActingUseCases<D, F, X>;
  };

/**
 * useCaseBinder for services whose store can act for someone (Store.actingAs): the account
 * service, the order engine, the ACME engine and the EAB service. `actingAs` rebinds the same
 * use cases to deps whose store records `actor` in the audit log; a front end calls it per
 * request (one small object each). `extras` adds members that are not use cases.
 */
export function actingUseCaseBinder<
  D extends { store: { actingAs(actor: Actor): D['store'] } },
  F extends Record<string, UseCase<D>>,
  X extends object = object,
>(useCases: F, extras?: (deps: D) => X): (deps: D) => ActingUseCases<D, F, X> {
  const bind = useCaseBinder<D, F>(useCases);
  const make = (deps: D): ActingUseCases<D, F, X> => {
    const bound = Object.assign(bind(deps), extras?.(deps)) as ActingUseCases<D, F, X>;
    bound.actingAs = (actor) => make({ ...deps, store: deps.store.actingAs(actor) });
    return bound;
  };
  return make;
}
