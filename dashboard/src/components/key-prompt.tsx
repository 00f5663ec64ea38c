import { useEffect, useRef, useState } from 'preact/hooks';
import { auth, forgetKey, rememberKey } from '../api';
import { useStore } from '../store';

/** Asks for an API key after a 401; the key stays in this tab only (sessionStorage) and goes with every request. */
export function KeyPrompt() {
  const { prompt } = useStore(auth);
  const [value, setValue] = useState('');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (prompt) input.current?.focus();
  }, [prompt]);
  if (!prompt) return null;
  const submit = (e: Event) => {
    e.preventDefault();
    const key = value.trim();
    if (key) rememberKey(key);
    setValue('');
  };
  return (
    <div class="overlay">
      <div class="key-prompt" role="dialog" aria-modal="true" aria-labelledby="key-title">
        <form onSubmit={submit}>
        <h2 id="key-title">API key needed</h2>
        {prompt === 'refused' ? (
          <p class="error-note" role="alert">
            That key was refused (401 UNAUTHENTICATED). Check it and try again.
          </p>
        ) : (
          <p>This Willow has access control on. Enter an API key to see its queues, limiter and locks.</p>
        )}
        <label for="api-key">API key</label>
        <input id="api-key" ref={input} type="password" autocomplete="off" spellcheck={false} value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} required />
        <p class="small muted">Kept for this tab only and sent as an Authorization: Bearer header; closing the tab forgets it.</p>
        <div class="form-actions">
          <button type="submit" class="primary">
            Use key
          </button>
        </div>
        </form>
      </div>
    </div>
  );
}

export function KeyStatus() {
  const { key } = useStore(auth);
  if (!key) return null;
  return (
    <span class="key-status">
      <span class="small muted">Key set</span>
      <button type="button" class="link" onClick={forgetKey}>
        Forget key
      </button>
    </span>
  );
}
