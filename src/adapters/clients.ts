/** AWS clients per region, shared by the adapters that address resources in several regions (by ARN). */

/**
 * One client per region and container, made on first use: its connection pool and credentials outlive an
 * invocation.
 * @example const sqs = perRegion((region) => new SQSClient({ region })); sqs('eu-central-1') === sqs('eu-central-1') // true
 */
export function perRegion<C>(make: (region: string) => C): (region: string) => C {
  const clients = new Map<string, C>();
  return (region) => {
    let client = clients.get(region);
    if (!client) {
      client = make(region);
      clients.set(region, client);
    }
    return client;
  };
}
