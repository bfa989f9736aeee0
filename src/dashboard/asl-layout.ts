/**
 * A layered drawing of an ASL state machine, computed from the definition itself so the picture cannot
 * drift from src/statemachines/scheduler.asl.json: states are nodes, every `Next`, `Default`, Choice rule
 * and `Catch` is an edge, a virtual Start points at `StartAt` and every `End`, Succeed and Fail leads to a
 * virtual End.
 *
 * The layout is a small Sugiyama-style pass, enough for a dozen states:
 * 1. a depth-first walk from Start marks the edges that close a loop (back edges) — drawn up the side;
 * 2. every other edge points down: a node's layer is its longest path from Start;
 * 3. edges that skip layers get invisible waypoints, so they route between nodes rather than through them;
 * 4. a few barycentre sweeps order each layer to cut crossings, then nodes move toward their neighbours.
 */
import type { ExecutionEvent } from '../lib/executions';

export interface AslRule {
  Next?: string;
  Variable?: string;
  And?: AslRule[];
  Or?: AslRule[];
  Not?: AslRule;
}

export interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: AslRule[];
  Catch?: Array<{ ErrorEquals: string[]; Next: string }>;
  Retry?: unknown[];
  Comment?: string;
}

export interface AslDocument {
  StartAt: string;
  States: Record<string, AslState>;
}

export const START = '(start)';
export const END = '(end)';

export type EdgeKind = 'next' | 'choice' | 'default' | 'catch';

export interface AslEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  label?: string;
}

export interface LaidNode {
  id: string;
  /** Centre. */
  x: number;
  y: number;
  width: number;
  height: number;
  type: string;
  layer: number;
  retries: boolean;
  comment?: string;
}

export interface LaidEdge extends AslEdge {
  /** Polyline through the waypoints, from the source's border to the target's. */
  points: Array<{ x: number; y: number }>;
  back: boolean;
}

export interface AslLayout {
  nodes: LaidNode[];
  edges: LaidEdge[];
  width: number;
  height: number;
}

const NODE_HEIGHT = 34;
const LAYER_GAP = 30;
const NODE_GAP = 22;
const LANE_GAP = 14;
const MARGIN = 16;
/** Text is drawn at FONT_PX user units; the drawing never shrinks below MIN_SCALE, so text stays ≥ 12 px on screen. */
export const FONT_PX = 14;
export const MIN_SCALE = 12 / FONT_PX;
const CHAR_WIDTH = 8.4;
const LABEL_CHAR_WIDTH = 7.4;

/** The last segment of each variable a rule tests: `$.schedule.done` → `done`, an And of two → `job & cursor`. */
function ruleLabel(rule: AslRule): string {
  if (rule.Variable) return rule.Variable.split('.').at(-1) ?? rule.Variable;
  if (rule.And) return rule.And.map(ruleLabel).join(' & ');
  if (rule.Or) return rule.Or.map(ruleLabel).join(' | ');
  if (rule.Not) return `not ${ruleLabel(rule.Not)}`;
  return 'rule';
}

/** Every transition of the definition, in document order (which seeds the layer order). */
export function aslEdges(doc: AslDocument): AslEdge[] {
  const edges: AslEdge[] = [{ from: START, to: doc.StartAt, kind: 'next' }];
  for (const [name, state] of Object.entries(doc.States)) {
    for (const rule of state.Choices ?? []) {
      if (rule.Next) edges.push({ from: name, to: rule.Next, kind: 'choice', label: ruleLabel(rule) });
    }
    if (state.Default) edges.push({ from: name, to: state.Default, kind: 'default', label: 'default' });
    if (state.Next) edges.push({ from: name, to: state.Next, kind: 'next' });
    for (const c of state.Catch ?? []) edges.push({ from: name, to: c.Next, kind: 'catch', label: 'catch' });
    if (state.End || state.Type === 'Succeed' || state.Type === 'Fail') edges.push({ from: name, to: END, kind: 'next' });
  }
  return edges.filter((edge) => edge.to === END || edge.to in doc.States);
}

function nodeWidth(id: string): number {
  return Math.max(64, Math.round(id.length * CHAR_WIDTH + 26));
}

export function layoutAsl(doc: AslDocument): AslLayout {
  const edges = aslEdges(doc);
  const ids = [START, ...Object.keys(doc.States), END];
  const out = new Map<string, AslEdge[]>(ids.map((id) => [id, []]));
  for (const edge of edges) out.get(edge.from)?.push(edge);

  // 1. Back edges: a depth-first walk in document order; an edge into a node still on the stack closes a loop.
  const back = new Set<AslEdge>();
  const onStack = new Set<string>();
  const seen = new Set<string>();
  const postOrder: string[] = [];
  const visit = (id: string) => {
    seen.add(id);
    onStack.add(id);
    for (const edge of out.get(id) ?? []) {
      if (onStack.has(edge.to)) back.add(edge);
      else if (!seen.has(edge.to)) visit(edge.to);
    }
    onStack.delete(id);
    postOrder.push(id);
  };
  visit(START);
  // States no transition reaches are still drawn, from their own walk.
  for (const id of ids) if (!seen.has(id)) visit(id);

  // 2. Longest-path layers over the forward edges, in topological (reverse post-) order.
  const layer = new Map<string, number>(ids.map((id) => [id, 0]));
  const forward = edges.filter((edge) => !back.has(edge));
  for (const id of [...postOrder].reverse()) {
    for (const edge of forward) {
      if (edge.from === id) layer.set(edge.to, Math.max(layer.get(edge.to) ?? 0, (layer.get(id) ?? 0) + 1));
    }
  }
  const lastLayer = Math.max(...[...layer.entries()].filter(([id]) => id !== END).map(([, l]) => l)) + 1;
  layer.set(END, lastLayer);

  // 3. Waypoints for forward edges that skip layers.
  interface Item {
    id: string;
    width: number;
    virtual: boolean;
  }
  const layers: Item[][] = Array.from({ length: lastLayer + 1 }, () => []);
  const discovery = [...postOrder].reverse();
  for (const id of discovery) layers[layer.get(id) ?? 0]?.push({ id, width: id === START || id === END ? 56 : nodeWidth(id), virtual: false });
  const chains = new Map<AslEdge, string[]>();
  const neighbours = new Map<string, { up: string[]; down: string[] }>();
  const link = (a: string, b: string) => {
    if (!neighbours.has(a)) neighbours.set(a, { up: [], down: [] });
    if (!neighbours.has(b)) neighbours.set(b, { up: [], down: [] });
    neighbours.get(a)?.down.push(b);
    neighbours.get(b)?.up.push(a);
  };
  for (const [index, edge] of forward.entries()) {
    const from = layer.get(edge.from) ?? 0;
    const to = layer.get(edge.to) ?? 0;
    const chain = [edge.from];
    for (let l = from + 1; l < to; l++) {
      const waypoint = `~${index}:${l}`;
      layers[l]?.push({ id: waypoint, width: 8, virtual: true });
      chain.push(waypoint);
    }
    chain.push(edge.to);
    for (let i = 1; i < chain.length; i++) link(chain[i - 1]!, chain[i]!);
    chains.set(edge, chain);
  }

  // 4. Order: barycentre sweeps down and up.
  const position = new Map<string, number>();
  const index = () => layers.forEach((items) => items.forEach((item, i) => position.set(item.id, i)));
  index();
  const barycentre = (id: string, side: 'up' | 'down', fallback: number) => {
    const others = neighbours.get(id)?.[side] ?? [];
    if (others.length === 0) return fallback;
    return others.reduce((sum, other) => sum + (position.get(other) ?? 0), 0) / others.length;
  };
  for (let sweep = 0; sweep < 4; sweep++) {
    const order = sweep % 2 === 0 ? layers.slice(1) : layers.slice(0, -1).reverse();
    for (const items of order) {
      const keyed = items.map((item, i) => ({ item, key: barycentre(item.id, sweep % 2 === 0 ? 'up' : 'down', i) }));
      keyed.sort((a, b) => a.key - b.key);
      items.splice(0, items.length, ...keyed.map((k) => k.item));
      index();
    }
  }

  // Coordinates: pack each layer, then pull nodes toward their neighbours' centres without overlapping.
  const x = new Map<string, number>();
  for (const items of layers) {
    let cursor = 0;
    for (const item of items) {
      x.set(item.id, cursor + item.width / 2);
      cursor += item.width + NODE_GAP;
    }
    const shift = -(cursor - NODE_GAP) / 2;
    for (const item of items) x.set(item.id, (x.get(item.id) ?? 0) + shift);
  }
  const settle = (items: Item[], side: 'up' | 'down') => {
    const wanted = items.map((item) => {
      const others = neighbours.get(item.id)?.[side] ?? [];
      return others.length === 0 ? (x.get(item.id) ?? 0) : others.reduce((sum, o) => sum + (x.get(o) ?? 0), 0) / others.length;
    });
    // Left to right, each node as close to its wish as the previous one allows; then centre the block on the wishes.
    const placed: number[] = [];
    items.forEach((item, i) => {
      const previous = i === 0 ? undefined : items[i - 1]!;
      const min = previous === undefined ? -Infinity : placed[i - 1]! + previous.width / 2 + NODE_GAP + item.width / 2;
      placed.push(Math.max(wanted[i]!, min));
    });
    const drift = placed.reduce((sum, p, i) => sum + (p - wanted[i]!), 0) / Math.max(1, placed.length);
    items.forEach((item, i) => x.set(item.id, placed[i]! - drift));
  };
  for (let pass = 0; pass < 3; pass++) {
    for (const items of layers.slice(1)) settle(items, 'up');
    for (const items of layers.slice(0, -1).reverse()) settle(items, 'down');
  }

  const minX = Math.min(...layers.flat().map((item) => (x.get(item.id) ?? 0) - item.width / 2));
  const maxX = Math.max(...layers.flat().map((item) => (x.get(item.id) ?? 0) + item.width / 2));
  const backEdges = edges.filter((edge) => back.has(edge));
  const offsetX = MARGIN - minX;
  const y = (l: number) => MARGIN + l * (NODE_HEIGHT + LAYER_GAP) + NODE_HEIGHT / 2;

  const nodes: LaidNode[] = layers.flatMap((items) =>
    items
      .filter((item) => !item.virtual)
      .map((item) => {
        const state = doc.States[item.id];
        const node: LaidNode = {
          id: item.id,
          x: (x.get(item.id) ?? 0) + offsetX,
          y: y(layer.get(item.id) ?? 0),
          width: item.width,
          height: NODE_HEIGHT,
          type: state?.Type ?? (item.id === START ? 'Start' : 'End'),
          layer: layer.get(item.id) ?? 0,
          retries: (state?.Retry?.length ?? 0) > 0,
        };
        if (state?.Comment) node.comment = state.Comment;
        return node;
      }),
  );
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const point = (id: string) => ({ x: (x.get(id) ?? 0) + offsetX, y: y(Number(id.split(':')[1])) });

  const laidEdges: LaidEdge[] = [];
  // Edges leave a node's bottom and enter a node's top side by side, ordered by where they go (come from),
  // so neither they nor their labels start on top of each other.
  const toward = (edge: AslEdge, end: 'out' | 'in') => {
    const chain = chains.get(edge) ?? [edge.from, edge.to];
    const id = end === 'out' ? chain[1]! : chain[chain.length - 2]!;
    return byId.get(id)?.x ?? point(id).x;
  };
  const port = (edge: AslEdge, end: 'out' | 'in'): number => {
    const node = byId.get(end === 'out' ? edge.from : edge.to);
    if (!node) return 0;
    const siblings = forward.filter((e) => (end === 'out' ? e.from : e.to) === node.id).sort((a, b) => toward(a, end) - toward(b, end));
    const spacing = Math.min(14, (node.width - 20) / Math.max(1, siblings.length));
    return node.x + (siblings.indexOf(edge) - (siblings.length - 1) / 2) * spacing;
  };
  for (const edge of forward) {
    const chain = chains.get(edge) ?? [edge.from, edge.to];
    const source = byId.get(edge.from);
    const target = byId.get(edge.to);
    if (!source || !target) continue;
    const points = [
      { x: port(edge, 'out'), y: source.y + source.height / 2 },
      ...chain.slice(1, -1).map(point),
      { x: port(edge, 'in'), y: target.y - target.height / 2 },
    ];
    laidEdges.push({ ...edge, points, back: false });
  }
  // Loops go up the side nearer the loop's source (its sideways run then crosses the fewest nodes of its
  // layer), each in its own lane, the shortest innermost.
  const span = (e: AslEdge) => Math.abs((layer.get(e.from) ?? 0) - (layer.get(e.to) ?? 0));
  const sideOf = (edge: AslEdge): 'left' | 'right' => {
    const items = layers[layer.get(edge.from) ?? 0]?.filter((item) => !item.virtual) ?? [];
    const at = items.findIndex((item) => item.id === edge.from);
    return at <= items.length - 1 - at ? 'left' : 'right';
  };
  const sorted = [...backEdges].sort((a, b) => span(a) - span(b));
  const sides = new Map(sorted.map((edge) => [edge, sideOf(edge)]));
  const leftLanes = [...sides.values()].filter((side) => side === 'left').length;
  const rightLanes = sorted.length - leftLanes;
  const used = { left: 0, right: 0 };
  for (const edge of sorted) {
    const source = byId.get(edge.from);
    const target = byId.get(edge.to);
    if (!source || !target) continue;
    const side = sides.get(edge) ?? 'right';
    const lane = ++used[side];
    const dir = side === 'left' ? -1 : 1;
    // Before the shift below, nodes start at MARGIN: left lanes sit in the room the shift will make.
    const laneX = side === 'left' ? MARGIN - LANE_GAP * lane : maxX + offsetX + LANE_GAP * lane;
    laidEdges.push({
      ...edge,
      back: true,
      points: [
        { x: source.x + (dir * source.width) / 2, y: source.y + 4 },
        { x: laneX, y: source.y + 4 },
        { x: laneX, y: target.y - 4 },
        { x: target.x + (dir * target.width) / 2, y: target.y - 4 },
      ],
    });
  }
  // A loop's label sits outside its lane, beside the source: make room for the longest on each side.
  const labelRoom = (side: 'left' | 'right') =>
    Math.max(0, ...sorted.filter((edge) => sides.get(edge) === side && edge.label).map((edge) => (edge.label?.length ?? 0) * LABEL_CHAR_WIDTH + 6));
  const leftRoom = LANE_GAP * leftLanes + labelRoom('left');
  const shift = (p: { x: number }) => {
    p.x += leftRoom;
  };
  nodes.forEach(shift);
  laidEdges.forEach((edge) => edge.points.forEach(shift));

  return {
    nodes,
    edges: laidEdges,
    width: Math.ceil(maxX - minX + 2 * MARGIN + LANE_GAP * (leftLanes + rightLanes) + labelRoom('left') + labelRoom('right')),
    height: Math.ceil(y(lastLayer) + NODE_HEIGHT / 2 + MARGIN),
  };
}

/** The subset of a job the current state is derived from. */
export interface JobPosition {
  status: string;
  nextRunAt: string | null;
  steps?: ReadonlyArray<{ state: string }>;
}

export interface CurrentState {
  /** A state of the definition, or null when no execution is running for the job. */
  state: string | null;
  running: boolean;
  why: string;
}

/**
 * Where the job's execution most likely is, from what the API shows (the store knows runs and statuses,
 * not the engine's position; Calculate, Due and the Pass/Choice states take milliseconds, so a job is
 * almost always in one of these):
 *
 * | job                                              | state      |
 * |--------------------------------------------------|------------|
 * | COMPLETED                                        | Finish     |
 * | FAILED                                           | JobFailed  |
 * | CANCELLED                                        | none (the execution was stopped) |
 * | RUNNING, or a run whose state is STARTED          | RunStep    |
 * | PAUSED                                           | none (paused; no execution moves it) |
 * | any other status with a next run                 | WaitUntil  |
 * | any other status without one                     | Calculate  |
 *
 * A state the definition does not have (renamed) reads as none rather than highlighting nothing silently.
 */
export function currentState(job: JobPosition, doc: AslDocument): CurrentState {
  const pick = (state: string | null, running: boolean, why: string): CurrentState =>
    state !== null && !(state in doc.States) ? { state: null, running: false, why: `${why} (no state ${state} in this definition)` } : { state, running, why };
  switch (job.status) {
    case 'COMPLETED':
      return pick('Finish', false, 'completed: the last state entered was Finish');
    case 'FAILED':
      return pick('JobFailed', false, 'failed: a run failed under the abort policy');
    case 'CANCELLED':
      return pick(null, false, 'cancelled: the execution was stopped');
    case 'PAUSED':
      return pick(null, false, 'paused: no execution is moving the job');
  }
  if (job.status === 'RUNNING' || job.steps?.some((step) => step.state === 'STARTED')) {
    return pick('RunStep', true, 'a run is in progress');
  }
  if (job.nextRunAt) return pick('WaitUntil', true, 'waiting for the next run');
  return pick('Calculate', true, 'computing the next run');
}

/** How a state went in one execution, from its history. */
export type StateOutcome = 'succeeded' | 'failed' | 'caught' | 'in_progress';

/** The part of a history event the trace reads (the API's flattened GetExecutionHistory event). */
export type TraceEvent = Pick<ExecutionEvent, 'id' | 'type' | 'stateName' | 'input' | 'output' | 'error' | 'cause'>;

export interface StateTrace {
  outcome: StateOutcome;
  /** Times it was entered (a loop enters Calculate once a run). */
  entered: number;
  /** Failed attempts seen (retries included). */
  failures: number;
  /** The latest entry's input, exit's output, and failure. */
  input: string | null;
  output: string | null;
  error: string | null;
  cause: string | null;
}

export interface ExecutionTrace {
  states: Record<string, StateTrace>;
  /** `from>to` for every transition taken, START and END included. */
  path: Set<string>;
  /** The state entered last (where an ended execution ended). */
  current: string | null;
  /** The execution has ended (succeeded, failed, aborted or timed out). */
  ended: boolean;
}

/**
 * How each state went in one execution, from its event history: entered (in progress), exited
 * (succeeded), failed (a failure it did not leave by a Catch, or a Fail state), caught (a failure its Catch
 * took to another state). A state that failed and was retried to an exit is succeeded, its failures counted.
 * @example traceExecution(events).states.RunStep.outcome // 'caught'
 */
export function traceExecution(events: readonly TraceEvent[], doc: AslDocument): ExecutionTrace {
  const states: Record<string, StateTrace> = {};
  const path = new Set<string>();
  let current: string | null = null;
  let previous: string = START;
  let ended = false;
  const trace = (name: string): StateTrace => (states[name] ??= { outcome: 'in_progress', entered: 0, failures: 0, input: null, output: null, error: null, cause: null });
  for (const event of events) {
    if (event.type.endsWith('StateEntered') && event.stateName) {
      const name = event.stateName;
      // Entering a state while the previous one failed and never exited: its Catch took the failure here.
      if (current && states[current]?.outcome === 'failed') states[current]!.outcome = 'caught';
      path.add(`${previous}>${name}`);
      const t = trace(name);
      t.entered += 1;
      t.input = event.input;
      t.outcome = doc.States[name]?.Type === 'Fail' ? 'failed' : 'in_progress';
      current = name;
      previous = name;
    } else if (event.type.endsWith('StateExited') && event.stateName) {
      const t = trace(event.stateName);
      t.output = event.output;
      if (t.outcome !== 'failed' || doc.States[event.stateName]?.Type !== 'Fail') t.outcome = 'succeeded';
    } else if (/Failed$|TimedOut$/.test(event.type) && !event.type.startsWith('Execution')) {
      if (current) {
        const t = trace(current);
        t.failures += 1;
        t.outcome = 'failed';
        t.error = event.error;
        t.cause = event.cause;
      }
    } else if (/^Execution(Succeeded|Failed|Aborted|TimedOut)$/.test(event.type)) {
      ended = true;
      if (event.type === 'ExecutionSucceeded' || (current && doc.States[current]?.Type === 'Fail')) path.add(`${previous}>${END}`);
      if (event.type !== 'ExecutionSucceeded' && current && states[current]?.outcome === 'in_progress') states[current]!.outcome = 'failed';
    } else if (/Scheduled$|Started$/.test(event.type) && current && states[current]?.outcome === 'failed') {
      // A retry: the state is going again.
      states[current]!.outcome = 'in_progress';
    }
  }
  return { states, path, current, ended };
}
