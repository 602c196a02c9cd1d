import { isLink, type InputSpec, type Literal, type NodeSchema, type Problem } from "@infix/graph";
import { Handle, Position, type NodeProps } from "@xyflow/react";
import { memo } from "react";
import { fileUrl } from "../api/client.ts";
import type { NodeLiveState } from "../state/live-store.ts";
import { setInputValue, setSeedControl } from "../state/operations.ts";
import { useNodeLive, useStudioState, useTab } from "../state/react.ts";
import { WidgetField } from "../widgets/WidgetField.tsx";
import type { StudioFlowNode } from "./flow-model.ts";

/**
 * A node drawn from its schema: one row per input (handle, label, widget unless linked),
 * one handle per output, and its live run state. Memoised and declared at module level,
 * so React Flow re-renders it only when its own data or live state changes.
 */
export const StudioNode = memo(StudioNodeView, sameNodeContent);

/** Moving a node changes its layout object but nothing drawn inside it: skip those renders (a 300-node drag). */
function sameNodeContent(a: NodeProps<StudioFlowNode>, b: NodeProps<StudioFlowNode>): boolean {
  return (
    a.id === b.id &&
    a.selected === b.selected &&
    a.data.node === b.data.node &&
    a.data.layout?.seedControl === b.data.layout?.seedControl
  );
}

function StudioNodeView({ id, data, selected }: NodeProps<StudioFlowNode>) {
  const catalog = useStudioState((s) => s.catalog);
  const tab = useTab();
  const live = useNodeLive(tab.live, id);
  const schema = catalog?.schema(data.node.type);
  if (!schema || !catalog) return <FallbackNode id={id} data={data} selected={selected} />;
  const { node, layout } = data;
  const problemInputs = new Set(
    [...(live.problems ?? []), ...(live.error ? [live.error] : [])].map((p) => p.input).filter(Boolean),
  );
  const change = (input: string) => (value: Literal, coalesceKey: string) =>
    tab.doc
      .getState()
      .apply(`set ${input}`, (d) => setInputValue(d, id, input, value), { coalesceKey: `${id}:${coalesceKey}` });

  return (
    <div
      className={`studio-node mode-${node.mode}${selected ? " is-selected" : ""}${live.status ? ` status-${live.status}` : ""}${live.problems?.length ? " has-problems" : ""}`}
      data-node-id={id}
      data-node-type={node.type}
      data-status={live.status ?? "idle"}
    >
      <header className="studio-node__header" title={schema.description}>
        <span className="studio-node__title">{node.title ?? schema.title}</span>
        {node.mode !== "active" && <span className="studio-node__mode">{node.mode}</span>}
        <StatusBadge live={live} />
      </header>
      {live.progress && <ProgressBar step={live.progress.step} total={live.progress.total} />}
      <div className="studio-node__body">
        {schema.outputs.map((output) => (
          <div
            className="studio-node__row studio-node__row--output"
            key={`out:${output.name}`}
            title={output.description ?? catalog.socketDescription(output.type)}
          >
            <span className="studio-node__label">
              {output.label ?? output.name}
              {output.list ? " [list]" : ""}
            </span>
            <span className="socket-type">{output.type}</span>
            <Handle
              type="source"
              position={Position.Right}
              id={output.name}
              style={{ background: catalog.color(output.type) }}
              aria-label={`output ${output.name} (${output.type})`}
            />
          </div>
        ))}
        {schema.inputs.map((input) => {
          const value = node.inputs[input.name];
          const linked = isLink(value);
          return (
            <div
              className={`studio-node__row${problemInputs.has(input.name) ? " is-invalid" : ""}${linked ? " is-linked" : ""}`}
              key={`in:${input.name}`}
              data-input={input.name}
              title={inputTooltip(input, catalog.socketDescription(input.type))}
            >
              <Handle
                type="target"
                position={Position.Left}
                id={input.name}
                style={{ background: catalog.color(input.type) }}
                aria-label={`input ${input.name} (${input.type})`}
              />
              <span className="studio-node__label">
                {input.label ?? input.name}
                {input.optional ? "?" : ""}
              </span>
              {input.widget?.kind === "SEED" &&
                live.runSeeds?.[input.name] !== undefined &&
                (live.status === "queued" || live.status === "running") && (
                  <span
                    className="studio-node__run-seed"
                    data-testid="run-seed"
                    title="The seed this run uses; the widget already shows the next one"
                  >
                    running with {live.runSeeds[input.name]}
                  </span>
                )}
              {input.widget && !linked ? (
                <WidgetField
                  label={input.label ?? input.name}
                  spec={input.widget}
                  value={value as Literal | undefined}
                  disabled={node.mode === "muted"}
                  seedControl={layout?.seedControl?.[input.name]}
                  onChange={change(input.name)}
                  onSeedControlChange={(control) =>
                    tab.doc.getState().apply("seed control", (d) => setSeedControl(d, id, input.name, control))
                  }
                />
              ) : (
                <span className="socket-type">{linked ? "linked" : input.type}</span>
              )}
            </div>
          );
        })}
      </div>
      <LiveFooter live={live} schema={schema} />
    </div>
  );
}

function inputTooltip(input: InputSpec, socketDescription: string | undefined): string {
  return [
    input.description,
    `${input.type}${socketDescription ? ` — ${socketDescription}` : ""}`,
    input.widget ? "takes a link or a typed value" : undefined,
  ]
    .filter(Boolean)
    .join("\n");
}

function StatusBadge({ live }: { live: NodeLiveState }) {
  if (!live.status) return null;
  const text =
    live.status === "done" && live.ms !== undefined
      ? `done ${formatMs(live.ms)}`
      : live.status === "running" && live.progress
        ? `${live.progress.step}/${live.progress.total}`
        : live.status;
  return (
    <span className={`status-badge status-badge--${live.status}`} data-testid="node-status">
      {text}
    </span>
  );
}

function ProgressBar({ step, total }: { step: number; total: number }) {
  const fraction = total > 0 ? Math.min(1, step / total) : 0;
  return (
    <div
      className="progress"
      role="progressbar"
      aria-valuenow={step}
      aria-valuemax={total}
      aria-label={`step ${step} of ${total}`}
    >
      <div className="progress__fill" style={{ width: `${fraction * 100}%` }} />
    </div>
  );
}

function LiveFooter({ live, schema }: { live: NodeLiveState; schema: NodeSchema }) {
  const problems: Problem[] = [...(live.problems ?? []), ...(live.error ? [live.error] : [])];
  const images = live.ui?.images ?? [];
  return (
    <>
      {live.preview && live.status === "running" && (
        <img className="studio-node__preview" alt="live preview" src={live.preview} />
      )}
      {problems.map((p, i) => (
        <div className="studio-node__problem" role="alert" key={`${p.code}:${p.input ?? ""}:${i}`}>
          {p.input ? <b>{p.input}: </b> : null}
          {p.message}
        </div>
      ))}
      {images.length > 0 && (
        <div className={`studio-node__images${schema.isOutput ? " is-output" : ""}`}>
          {images.map((image) => (
            <a key={`${image.folder}/${image.name}`} href={fileUrl(image)} target="_blank" rel="noreferrer">
              <img
                className="studio-node__image"
                alt={`output ${image.name}`}
                src={fileUrl(image)}
                width={image.width}
                height={image.height}
              />
            </a>
          ))}
        </div>
      )}
      {live.ui?.text?.map((t, i) => (
        <pre className="studio-node__text" key={i}>
          {t}
        </pre>
      ))}
    </>
  );
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** A node whose type the server does not know: drawn with its stored inputs so nothing is lost, and marked. */
export const FallbackNode = memo(function FallbackNode({
  id,
  data,
  selected,
}: Pick<NodeProps<StudioFlowNode>, "id" | "data" | "selected">) {
  const { node } = data;
  const live = useNodeLive(useTab().live, id);
  const suggestion = live.problems?.find((p) => p.code === "unknown_node_type")?.suggestion;
  return (
    <div
      className={`studio-node studio-node--unknown${selected ? " is-selected" : ""}`}
      data-node-id={id}
      data-node-type={node.type}
      data-status="unknown"
    >
      <header className="studio-node__header">
        <span className="studio-node__title">{node.title ?? node.type}</span>
        <span className="status-badge status-badge--failed">unknown type</span>
      </header>
      <div className="studio-node__body">
        {(data.linkedOutputs ?? []).map((output) => (
          <div className="studio-node__row studio-node__row--output" key={`out:${output}`}>
            <span className="studio-node__label">{output}</span>
            <Handle type="source" position={Position.Right} id={output} isConnectable={false} />
          </div>
        ))}
        {Object.entries(node.inputs).map(([name, value]) => (
          <div className="studio-node__row" key={name} data-input={name}>
            <Handle type="target" position={Position.Left} id={name} isConnectable={false} />
            <span className="studio-node__label">{name}</span>
            <span className="socket-type">
              {isLink(value) ? `← ${value.node}.${value.output}` : JSON.stringify(value)}
            </span>
          </div>
        ))}
        <div className="studio-node__problem" role="alert">
          The server has no node type “{node.type}”.
          {suggestion !== undefined && <b className="studio-node__suggestion"> Did you mean “{suggestion}”?</b>} Install
          the node package or model pack that provides it; the node is kept as it is.
        </div>
      </div>
    </div>
  );
});
