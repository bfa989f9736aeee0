/**
 * The state machine, drawn from src/statemachines/scheduler.asl.json (bundled as is). With the selected
 * execution's history, each state is coloured by how it went (succeeded, failed, caught, in progress), the
 * path taken is marked, and a click on a state shows its input, output and error; without one, the state
 * the job is most likely in is highlighted (`currentState` in asl-layout.ts). The drawing keeps its size
 * (text at 12 px and more) and scrolls on a narrow screen rather than shrinking.
 */
import { useState } from 'preact/hooks';
import definition from '../../statemachines/scheduler.asl.json';
import { currentState, END, layoutAsl, MIN_SCALE, START, traceExecution, type AslDocument, type ExecutionTrace, type JobPosition, type LaidEdge, type LaidNode, type StateTrace } from '../asl-layout';
import type { ExecutionHistory } from '../types';
import { prettyJson } from './Executions';

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

/** Where an edge's label goes, and which way it reads from there; `nth` staggers labels leaving one node. */
function labelAt(edge: LaidEdge, nth: number): { x: number; y: number; anchor: 'start' | 'middle' | 'end' } {
  const [a, b] = edge.points as [Point, Point];
  if (edge.back) {
    const right = b.x > a.x;
    return { x: b.x + (right ? 4 : -4), y: a.y + 4, anchor: right ? 'start' : 'end' };
  }
  // Along the first segment, where the edges out of one node have spread the most; siblings at different heights.
  const t = Math.min(0.8, 0.35 + nth * 0.3);
  return { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t + 4, anchor: 'middle' };
}

const OUTCOME_TEXT: Record<string, string> = { succeeded: 'succeeded', failed: 'failed', caught: 'failed, caught', in_progress: 'in progress' };

function Node({ node, current, running, trace, selected, onSelect }: { node: LaidNode; current: boolean; running: boolean; trace: StateTrace | undefined; selected: boolean; onSelect: (id: string) => void }) {
  const x = node.x - node.width / 2;
  const y = node.y - node.height / 2;
  const terminal = node.id === START || node.id === END;
  const shape = `state-${node.type.toLowerCase()}`;
  const outcome = trace ? ` outcome-${trace.outcome}` : '';
  const clickable = !terminal;
  const describe = `${node.id} (${node.type})${trace ? `: ${OUTCOME_TEXT[trace.outcome]}${trace.entered > 1 ? `, entered ${trace.entered} times` : ''}${trace.failures ? `, ${trace.failures} failed attempts` : ''}` : ''}`;
  // The failure count sits beside the button, not in it: its name (the state's) must hold all its visible text.
  return (
    <>
    <g
      class={`asl-node ${shape}${outcome}${current ? ' is-current' : ''}${current && running ? ' is-running' : ''}${selected ? ' is-selected' : ''}`}
      data-state={node.id}
      {...(trace ? { 'data-outcome': trace.outcome } : {})}
      {...(clickable
        ? {
            tabIndex: 0,
            role: 'button',
            'aria-label': describe,
            'aria-pressed': selected,
            onClick: () => onSelect(node.id),
            onKeyDown: (e: KeyboardEvent) => {
              if (e.key === 'Enter' || e.key === ' ') {
                e.preventDefault();
                onSelect(node.id);
              }
            },
          }
        : {})}
    >
      <title>{node.comment ? `${describe}: ${node.comment}` : describe}</title>
      <rect x={x} y={y} width={node.width} height={node.height} rx={terminal || node.type === 'Choice' ? node.height / 2 : 6} />
      <text x={node.x} y={node.y + 5} text-anchor="middle">
        {terminal ? node.id.replace(/[()]/g, '') : node.id}
      </text>
      {node.retries && (
        <text class="asl-retry" x={x + node.width - 4} y={y + 12} text-anchor="end" aria-hidden="true">
          ↻
        </text>
      )}
    </g>
    {trace && trace.failures > 0 && (
      <text class="asl-failures" x={x + 4} y={y + 12} text-anchor="start" aria-hidden="true">
        ✕{trace.failures}
      </text>
    )}
    </>
  );
}

/** What the history says of one state: its outcome, and the latest input, output and error. */
function StateDetail({ name, trace }: { name: string; trace: StateTrace | undefined }) {
  if (!trace) return <p class="muted state-detail">{name} was not entered in this execution.</p>;
  return (
    <div class="state-detail" data-state-detail={name}>
      <p>
        <strong>{name}</strong> {OUTCOME_TEXT[trace.outcome]}; entered {trace.entered.toLocaleString()} {trace.entered === 1 ? 'time' : 'times'}
        {trace.failures > 0 && <span class="text-failed">, {trace.failures} failed {trace.failures === 1 ? 'attempt' : 'attempts'}</span>}.
      </p>
      {trace.error && (
        <p class="run-error">
          <code>{trace.error}</code> {trace.cause}
        </p>
      )}
      {trace.input && (
        <details>
          <summary>latest input</summary>
          <pre class="raw">{prettyJson(trace.input)}</pre>
        </details>
      )}
      {trace.output && (
        <details>
          <summary>latest output</summary>
          <pre class="raw">{prettyJson(trace.output)}</pre>
        </details>
      )}
    </div>
  );
}

export function StateMachine({ job, history }: { job: JobPosition; history?: ExecutionHistory | undefined }) {
  const [selected, setSelected] = useState<string | null>(null);
  const trace: ExecutionTrace | undefined = history ? traceExecution(history.events, asl) : undefined;
  const guessed = currentState(job, asl);
  // With a history the current state is the one entered last, if the execution still runs.
  const now = trace
    ? { state: trace.current, running: !trace.ended, why: trace.ended ? `the execution ${history?.execution.status.toLowerCase().replace('_', ' ') ?? 'ended'} here` : 'the state entered last' }
    : guessed;
  const labelled = new Map<string, number>();
  const nthLabel = (edge: LaidEdge) => {
    const n = labelled.get(edge.from) ?? 0;
    labelled.set(edge.from, n + 1);
    return n;
  };
  return (
    <figure class="asl">
      <div class="asl-scroll" tabIndex={0} aria-label="State machine drawing (scrolls)">
        <svg
          viewBox={`0 0 ${layout.width} ${layout.height}`}
          width={layout.width}
          // Fits its card down to MIN_SCALE (text then 12 px), and scrolls below that rather than shrink further.
          style={{ minWidth: `${Math.ceil(layout.width * MIN_SCALE)}px` }}
          role="group"
          aria-label={`The scheduler state machine; current state: ${now.state ?? 'none'}`}
          data-current={now.state ?? ''}
        >
          <defs>
            <marker id="asl-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">
              <path d="M0,0 L10,5 L0,10 z" class="asl-arrowhead" />
            </marker>
          </defs>
          {layout.edges.map((edge) => (
            <path
              key={`${edge.from}>${edge.to}>${edge.kind}`}
              class={`asl-edge edge-${edge.kind}${edge.back ? ' edge-back' : ''}${trace?.path.has(`${edge.from}>${edge.to}`) ? ' is-taken' : ''}`}
              d={pathOf(edge)}
              marker-end="url(#asl-arrow)"
            />
          ))}
          {layout.nodes.map((node) => (
            <Node key={node.id} node={node} current={node.id === now.state} running={now.running} trace={trace?.states[node.id]} selected={selected === node.id} onSelect={(id) => setSelected(selected === id ? null : id)} />
          ))}
          {layout.edges
            .filter((edge) => edge.label)
            .map((edge) => {
              const at = labelAt(edge, edge.back ? 0 : nthLabel(edge));
              return (
                <text key={`label:${edge.from}>${edge.to}>${edge.kind}`} class="asl-label" x={at.x} y={at.y} text-anchor={at.anchor}>
                  {edge.label}
                </text>
              );
            })}
        </svg>
      </div>
      <figcaption>
        {trace ? (
          <span class="asl-legend">
            Generation {history?.generation}: <span class="key key-succeeded">succeeded</span> <span class="key key-failed">failed</span> <span class="key key-caught">caught</span>{' '}
            <span class="key key-in_progress">in progress</span>; the bold path was taken. Click a state for its input, output and error.
          </span>
        ) : null}{' '}
        {now.state ? (
          <>
            {trace?.ended ? 'Ended in' : 'Now in'} <strong data-testid="current-state">{now.state}</strong>: {now.why}.
          </>
        ) : (
          <>No state: {now.why}.</>
        )}{' '}
        <span class="muted">↻ marks states with a Retry.</span>
      </figcaption>
      {selected && <StateDetail name={selected} trace={trace?.states[selected]} />}
    </figure>
  );
}
