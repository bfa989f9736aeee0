// Promise.withResolvers arrived in Node 22; aws-local-stepfunctions 3 needs it. Same semantics as the spec.
interface WithResolvers {
  withResolvers?: <T>() => { promise: Promise<T>; resolve: (value: T | PromiseLike<T>) => void; reject: (reason?: unknown) => void };
}

const PromiseCtor = Promise as unknown as WithResolvers;
if (typeof PromiseCtor.withResolvers !== 'function') {
  PromiseCtor.withResolvers = <T>() => {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

export {};
