import { useEffect, useState } from 'preact/hooks';

/**
 * Messages for screen readers (status changes, saved forms), through one polite live region. Setting the
 * same text twice would not be read again, so the region is emptied first.
 */
let show: (message: string) => void = () => undefined;

export function announce(message: string): void {
  show(message);
}

export function LiveRegion() {
  const [message, setMessage] = useState('');
  useEffect(() => {
    show = (text) => {
      setMessage('');
      requestAnimationFrame(() => setMessage(text));
    };
    return () => {
      show = () => undefined;
    };
  }, []);
  return (
    <div class="visually-hidden" role="status" aria-live="polite" aria-atomic="true">
      {message}
    </div>
  );
}

/** Sets the page title, e.g. "Monitors · Better Uptime". */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Better Uptime` : 'Better Uptime';
  }, [title]);
}
