// Live updates: the node's server-sent events (GET /api/v1/events). The
// browser's EventSource reconnects by itself and sends Last-Event-ID, so
// the node replays what was missed, or says "reset" when too much was.
// Listeners get ('records', {ids, count, complete}), ('reset') and
// ('status', 'live' | 'connecting' | 'offline').
export function createEvents(url = '/api/v1/events') {
  const listeners = new Set();
  let es = null;
  let status = 'offline';
  let retry = null;
  let backoff = 2000;
  let stopped = true;

  const emit = (type, data) => {
    for (const fn of listeners) fn(type, data);
  };
  const setStatus = (s) => {
    if (s !== status) {
      status = s;
      emit('status', s);
    }
  };

  function open() {
    if (stopped) return;
    setStatus('connecting');
    es = new EventSource(url);
    es.onopen = () => {
      backoff = 2000;
      setStatus('live');
    };
    es.addEventListener('records', (ev) => {
      let data;
      try {
        data = JSON.parse(ev.data);
      } catch {
        return;
      }
      emit('records', data);
    });
    es.addEventListener('reset', () => emit('reset'));
    es.onerror = () => {
      // CLOSED: the node refused (a 4xx/5xx, e.g. too many streams or
      // the session expired): EventSource gives up, so try again later.
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        es = null;
        setStatus('offline');
        clearTimeout(retry);
        retry = setTimeout(open, backoff);
        backoff = Math.min(backoff * 2, 60000);
      } else {
        setStatus('connecting');
      }
    };
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      open();
    },
    stop() {
      stopped = true;
      clearTimeout(retry);
      if (es) es.close();
      es = null;
      setStatus('offline');
    },
    on(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    get status() {
      return status;
    },
  };
}
