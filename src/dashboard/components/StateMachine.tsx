/**
 * The state machine, drawn from src/statemachines/scheduler.asl.json (bundled as is), with the state the
 * job is most likely in highlighted: see `currentState` in asl-layout.ts for the mapping.
 */
import definition from '../../statemachines/scheduler.asl.json';
import { currentState, END, layoutAsl, START, type AslDocument, type JobPosition, type LaidEdge, type LaidNode } from '../asl-layout';

const asl = definition as unknown as AslDocument;
// The definition is fixed for the life of the page: lay it out once.
const layout = layoutAsl(asl);

/** A polyline with rounded corners: straight runs, quarter-curves at each waypoint. */
function pathOf(edge: LaidEdge): string {
  const pts = edge.points;
  if (!edge.back) {
    // Forward edges flow down: a smooth vertical S between consecutive waypoints.
    let d = `M${pts[0]!.x},${pts[0]!.y}`;
    for (let i = 1; i < pts.length; i++) {
      const a = pts[i - 1]!;
      const b = pts[i]!;
      const mid = (a.y + b.y) / 2;
      d += ` C${a.x},${mid} ${b.x},${mid} ${b.x},${b.y}`;
    }
    return d;
  }
  // A loop: out of the source's side, up its lane, into the target's side, with rounded corners.
  const r = 8;
  const [a, b, c, d] = pts as [Point, Point, Point, Point];
  const out = Math.sign(b.x - a.x) || 1;
  const back = Math.sign(d.x - c.x) || -1;
  return `M${a.x},${a.y} H${b.x - out * r} Q${b.x},${b.y} ${b.x},${b.y - r} V${c.y + r} Q${c.x},${c.y} ${c.x + back * r},${c.y} H${d.x}`;
}

type Point = LaidEdge['points'][number];

/** Where an edge's label goes, and which way it reads from there. */
function labelAt(edge: LaidEdge): { x: number; y: number; anchor: 'start' | 'middle' | 'end' } {
  const [a, b] = edge.points as [Point, Point];
  if (edge.back) {
    const right = b.x > a.x;
    return { x: b.x + (right ? 4 : -4), y: a.y + 3, anchor: right ? 'start' : 'end' };
  }
  // Halfway down the first segment, where the edges out of one node have spread the most.
  return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 + 3, anchor: 'middle' };
}

function Node({ node, current, running }: { node: LaidNode; current: boolean; running: boolean }) {
  const x = node.x - node.width / 2;
  const y = node.y - node.height / 2;
  const terminal = node.id === START || node.id === END;
  const shape = `state-${node.type.toLowerCase()}`;
  return (
    <g class={`asl-node ${shape}${current ? ' is-current' : ''}${current && running ? ' is-running' : ''}`} data-state={node.id}>
      <title>{node.comment ? `${node.id} (${node.type}): ${node.comment}` : `${node.id} (${node.type})`}</title>
      <rect x={x} y={y} width={node.width} height={node.height} rx={terminal || node.type === 'Choice' ? node.height / 2 : 6} />
      <text x={node.x} y={node.y + 4} text-anchor="middle">
        {terminal ? node.id.replace(/[()]/g, '') : node.id}
      </text>
      {node.retries && (
        <text class="asl-retry" x={x + node.width - 4} y={y + 10} text-anchor="end">
          ↻
        </text>
      )}
    </g>
  );
}

export function StateMachine({ job }: { job: JobPosition }) {
  const now = currentState(job, asl);
  return (
    <figure class="asl">
      <div class="asl-scroll">
        <svg
          viewBox={`0 0 ${layout.width} ${layout.height}`}
          width={layout.width}
          role="img"
          aria-label={`The scheduler state machine; current state: ${now.state ?? 'none'}`}
          data-current={now.state ?? ''}
        >
          <defs>
            <marker id="asl-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M0,0 L10,5 L0,10 z" class="asl-arrowhead" />
            </marker>
          </defs>
          {layout.edges.map((edge) => (
            <path key={`${edge.from}>${edge.to}>${edge.kind}`} class={`asl-edge edge-${edge.kind}${edge.back ? ' edge-back' : ''}`} d={pathOf(edge)} marker-end="url(#asl-arrow)" />
          ))}
          {layout.edges
            .filter((edge) => edge.label)
            .map((edge) => {
              const at = labelAt(edge);
              return (
                <text key={`label:${edge.from}>${edge.to}>${edge.kind}`} class="asl-label" x={at.x} y={at.y} text-anchor={at.anchor}>
                  {edge.label}
                </text>
              );
            })}
          {layout.nodes.map((node) => (
            <Node key={node.id} node={node} current={node.id === now.state} running={now.running} />
          ))}
        </svg>
      </div>
      <figcaption>
        {now.state ? (
          <>
            Now in <strong data-testid="current-state">{now.state}</strong>: {now.why}.
          </>
        ) : (
          <>No state: {now.why}.</>
        )}{' '}
        <span class="muted">Derived from the job's status and runs; ↻ marks states with a Retry.</span>
      </figcaption>
    </figure>
  );
}
