import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';

// Only what the console draws (lines and bars on a category axis), so the bundle carries nothing else.
Chart.register(LineController, LineElement, PointElement, BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

const reducedMotion = (): boolean => typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;

/**
 * A Chart.js chart on a <canvas role="img"> named by `label`. Chart.js sizes the canvas through the
 * DOM (element.style), which the console's CSP allows; the box's height comes from the `chart` class.
 * A new `config` object draws the chart again; pass a memoised one.
 */
export function ChartCanvas(props: { label: string; config: ChartConfiguration }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return undefined;
    const config = { ...props.config, options: { ...props.config.options, responsive: true, maintainAspectRatio: false, ...(reducedMotion() ? { animation: false as const } : {}) } };
    const chart = new Chart(canvas.current, config);
    return () => chart.destroy();
  }, [props.config]);
  return (
    <div class="chart">
      <canvas ref={canvas} role="img" aria-label={props.label} />
    </div>
  );
}
