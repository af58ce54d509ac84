// Use cases are functions of (deps, ...arguments). A front end does not hold their deps (the
// store with its writes, the sealer, the CA key): src/app binds the use cases to their deps
// once and hands the front end the bound functions, as Boulder's WFE holds an RA client
// rather than the storage authority's writing interface.

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
