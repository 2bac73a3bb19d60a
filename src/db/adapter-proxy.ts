// Wrapping Prisma driver adapters (and their transactions) without subclassing them: their
// classes are not exported and their methods use private state.

/** Replaces some methods of `target`, binding the others to it. */
export function override<T extends object>(target: T, replaced: Partial<Record<keyof T, unknown>>): T {
  return new Proxy(target, {
    get(object, key) {
      if (Object.hasOwn(replaced, key)) return replaced[key as keyof T];
      const value = Reflect.get(object, key, object);
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
}
