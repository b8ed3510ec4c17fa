import { useEffect, useState } from 'preact/hooks';
import { formatDuration, formatTime } from '../format';

/** "in 12 min 04 s" or "overdue by 3 min", ticking every second; the absolute time in its title. */
export function Countdown(props: { until: string; label?: string }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const due = new Date(props.until).getTime();
  const left = due - now;
  const overdue = left < 0;
  return (
    <time dateTime={props.until} title={formatTime(props.until)} class={overdue ? 'countdown overdue' : 'countdown'} aria-label={props.label}>
      {overdue ? `overdue by ${formatDuration(left)}` : `in ${formatDuration(left)}`}
    </time>
  );
}
