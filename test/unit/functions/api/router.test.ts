import { MethodNotAllowedError, RouteNotFoundError } from '../../../../src/functions/api/errors';
import { matchRoute } from '../../../../src/functions/api/router';
import { ROUTES } from '../../../../src/functions/api/routes';

function thrown(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('matchRoute', () => {
  it.each(ROUTES.map((route) => [route.method, route.path] as const))('reaches %s %s', (method, path) => {
    const concrete = path.replace(/\{id\}/g, 'daily-report').replace('{generation}', '0');

    const match = matchRoute(method, concrete);

    expect(match.key).toBe(`${method} ${path}`);
    expect(match.params).toEqual({ ...(path.includes('{id}') ? { id: 'daily-report' } : {}), ...(path.includes('{generation}') ? { generation: '0' } : {}) });
  });

  it('tells GET /jobs from GET /jobs/{id} and GET /jobs/{id}/upcoming', () => {
    expect(matchRoute('GET', '/jobs').key).toBe('GET /jobs');
    expect(matchRoute('GET', '/jobs/a').key).toBe('GET /jobs/{id}');
    expect(matchRoute('GET', '/jobs/a/upcoming').key).toBe('GET /jobs/{id}/upcoming');
  });

  it('decodes percent-encoded parameters and keeps broken encoding as sent', () => {
    expect(matchRoute('GET', '/jobs/daily%20report').params).toEqual({ id: 'daily report' });
    expect(matchRoute('GET', '/jobs/a%2Fb').params).toEqual({ id: 'a/b' });
    expect(matchRoute('GET', '/jobs/100%').params).toEqual({ id: '100%' });
  });

  it('ignores one trailing slash, not two', () => {
    expect(matchRoute('GET', '/jobs/').key).toBe('GET /jobs');
    expect(matchRoute('GET', '/jobs/daily/').params).toEqual({ id: 'daily' });
    expect(thrown(() => matchRoute('GET', '/jobs/daily//'))).toBeInstanceOf(RouteNotFoundError);
  });

  it('matches the method in any case', () => {
    expect(matchRoute('get', '/health').key).toBe('GET /health');
  });

  it('does not take an empty segment as a parameter', () => {
    expect(thrown(() => matchRoute('POST', '/jobs//pause'))).toBeInstanceOf(RouteNotFoundError);
  });

  it('answers a path no route has with RouteNotFoundError naming it', () => {
    const error = thrown(() => matchRoute('GET', '/nope'));

    expect(error).toBeInstanceOf(RouteNotFoundError);
    expect((error as RouteNotFoundError).path).toBe('/nope');
  });

  it('answers a known path under another method with MethodNotAllowedError listing what is allowed, sorted', () => {
    const onJobs = thrown(() => matchRoute('PUT', '/jobs'));
    const onJob = thrown(() => matchRoute('POST', '/jobs/daily'));
    const onPause = thrown(() => matchRoute('GET', '/jobs/daily/pause'));

    expect(onJobs).toBeInstanceOf(MethodNotAllowedError);
    expect((onJobs as MethodNotAllowedError).allow).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST']);
    expect((onJob as MethodNotAllowedError).allow).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS']);
    expect((onPause as MethodNotAllowedError).allow).toEqual(['OPTIONS', 'POST']);
  });
});
