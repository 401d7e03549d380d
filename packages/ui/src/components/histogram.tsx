import { useSignal } from '@preact/signals';
import { useRef } from 'preact/hooks';
import type { RecordStats } from '../api/journal-record.js';
import { formatNumber, t } from '../i18n/i18n.js';
import { formatBucket, formatShort, formatTimeOfDay } from '../format/format-time.js';
import { toRfc3339 } from '../state/journal-query.js';

const WIDTH = 1000;
const HEIGHT = 120;
const DAY_MS = 86_400_000;

/**
 * Counts over the range as bars. Dragging across the chart (or clicking one bar) narrows the range
 * to the buckets under the drag; the date inputs and presets remain the keyboard way to do the same.
 */
export function Histogram(props: {
  readonly stats: RecordStats | null;
  readonly from: string;
  readonly to: string;
  readonly loading: boolean;
  readonly onNarrow: (range: { from: string; to: string }) => void;
}) {
  const drag = useSignal<{ a: number; b: number } | null>(null);
  const svg = useRef<SVGSVGElement>(null);
  const { stats } = props;
  const buckets = stats?.histogram ?? [];
  const n = buckets.length;
  const fromMs = Date.parse(props.from);
  const toMs = Date.parse(props.to);
  const bucketMs = (stats?.bucketSeconds ?? 60) * 1000;
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const barWidth = n > 0 ? WIDTH / n : WIDTH;

  const indexAt = (clientX: number): number => {
    const box = svg.current?.getBoundingClientRect();
    if (box === undefined || box.width === 0 || n === 0) return 0;
    const ratio = Math.min(0.9999, Math.max(0, (clientX - box.left) / box.width));
    return Math.floor(ratio * n);
  };

  const finish = (): void => {
    const d = drag.value;
    drag.value = null;
    if (d === null || n === 0) return;
    const first = buckets[Math.min(d.a, d.b)];
    const last = buckets[Math.max(d.a, d.b)];
    if (first === undefined || last === undefined) return;
    const start = Math.max(fromMs, Date.parse(first.start));
    const end = Math.min(toMs, Date.parse(last.start) + bucketMs);
    if (end > start && (start !== fromMs || end !== toMs))
      props.onNarrow({ from: toRfc3339(start), to: toRfc3339(end) });
  };

  const span = toMs - fromMs;
  const label = (ms: number): string =>
    span <= DAY_MS ? formatTimeOfDay(ms, span <= 10 * 60_000) : formatShort(ms);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((r) => ({ r, ms: fromMs + r * span }));
  const sel =
    drag.value === null
      ? null
      : { lo: Math.min(drag.value.a, drag.value.b), hi: Math.max(drag.value.a, drag.value.b) };
  const summary =
    stats === null
      ? t('histogram')
      : t('histogramLabel', {
          count: formatNumber(stats.count),
          from: formatShort(props.from),
          to: formatShort(props.to),
          bucket: formatBucket(stats.bucketSeconds),
        });

  return (
    <section class={`card histogram${props.loading ? ' is-loading' : ''}`} aria-labelledby="histogram-title">
      <div class="histogram-head">
        <h2 id="histogram-title">{t('histogram')}</h2>
        <p class="hint">{t('histogramHint')}</p>
      </div>
      <div class="histogram-plot">
        <span class="histogram-max" aria-hidden="true">
          {formatNumber(max)}
        </span>
        <svg
          ref={svg}
          class="histogram-svg"
          viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
          preserveAspectRatio="none"
          role="img"
          aria-label={summary}
          data-testid="histogram"
          onPointerDown={(e) => {
            if (e.button !== 0 || n === 0) return;
            e.preventDefault();
            (e.currentTarget as Element).setPointerCapture(e.pointerId);
            const i = indexAt(e.clientX);
            drag.value = { a: i, b: i };
          }}
          onPointerMove={(e) => {
            if (drag.value !== null) drag.value = { a: drag.value.a, b: indexAt(e.clientX) };
          }}
          onPointerUp={finish}
          onPointerCancel={() => (drag.value = null)}
        >
          <line x1="0" x2={WIDTH} y1={HEIGHT - 0.5} y2={HEIGHT - 0.5} class="histogram-axis" />
          {sel !== null && (
            <rect
              class="histogram-selection"
              x={sel.lo * barWidth}
              y="0"
              width={(sel.hi - sel.lo + 1) * barWidth}
              height={HEIGHT}
            />
          )}
          {buckets.map((b, i) => {
            const h = b.count === 0 ? 0 : Math.max(2, (b.count / max) * (HEIGHT - 6));
            return (
              <rect
                key={b.start}
                class="histogram-bar"
                data-count={b.count}
                x={i * barWidth + barWidth * 0.1}
                y={HEIGHT - h}
                width={barWidth * 0.8}
                height={h}
              >
                <title>{`${formatShort(b.start)}: ${formatNumber(b.count)}`}</title>
              </rect>
            );
          })}
        </svg>
      </div>
      <div class="histogram-ticks" aria-hidden="true">
        {ticks.map((tick) => (
          <span key={tick.r}>{label(tick.ms)}</span>
        ))}
      </div>
    </section>
  );
}
