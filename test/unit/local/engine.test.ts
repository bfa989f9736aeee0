import { localDefinition, StateMachine } from '../../../src/local/engine';

describe('StateMachine', () => {
  it('validates a definition the first time it is built and not again', () => {
    const definition = localDefinition();
    const firstStarted = performance.now();
    new StateMachine(definition as never);
    const first = performance.now() - firstStarted;

    const againStarted = performance.now();
    for (let i = 0; i < 10; i++) new StateMachine(localDefinition() as never);
    const tenMore = performance.now() - againStarted;

    // asl-validator takes ~180 ms a definition here; ten unvalidated builds take well under a millisecond each.
    expect(tenMore).toBeLessThan(first);
  });

  it('refuses an invalid definition every time it is built', () => {
    const invalid = { StartAt: 'Missing', States: { Done: { Type: 'Succeed' } } };

    expect(() => new StateMachine(invalid as never)).toThrow(/definition is invalid/);
    expect(() => new StateMachine(invalid as never)).toThrow(/definition is invalid/);
  });
});
