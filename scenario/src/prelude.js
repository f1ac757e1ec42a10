// The VoxEngine subset a scenario sees. Evaluated before the scenario; it receives the native
// hooks as `native` and returns the dispatcher, so neither is reachable from scenario code.
(native) => {
  'use strict';
  const AppEvents = Object.freeze({
    Started: 'Application.Started',
    Terminating: 'Application.Terminating',
  });
  const known = new Set(Object.values(AppEvents));
  const listeners = new Map();

  const VoxEngine = Object.freeze({
    addEventListener(event, handler) {
      if (!known.has(event)) {
        throw new TypeError(
          `VoxEngine.addEventListener: unsupported event ${String(event)} ` +
            '(Strongroom scenarios have AppEvents.Started and AppEvents.Terminating)',
        );
      }
      if (typeof handler !== 'function') {
        throw new TypeError('VoxEngine.addEventListener: the handler must be a function');
      }
      const list = listeners.get(event) ?? [];
      if (!list.includes(handler)) list.push(handler);
      listeners.set(event, list);
    },
    removeEventListener(event, handler) {
      const list = listeners.get(event) ?? [];
      listeners.set(event, handler === undefined ? [] : list.filter((h) => h !== handler));
    },
    getSecretValue(name) {
      return native.getSecretValue(typeof name === 'string' ? name : String(name ?? ''));
    },
    terminate() {
      native.terminate();
    },
  });
  const Logger = Object.freeze({
    write(text) {
      native.write(String(text));
    },
  });

  for (const [name, value] of Object.entries({ AppEvents, VoxEngine, Logger })) {
    Object.defineProperty(globalThis, name, { value, enumerable: true });
  }

  return (event, details) => {
    for (const handler of [...(listeners.get(event) ?? [])]) {
      handler(Object.freeze({ ...details, name: event }));
    }
  };
};
