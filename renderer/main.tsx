// Renderer entry: mounts the app with the client built on `window.wisp` (preload or harness).
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { clientFromWindow } from './ipc/client';
import './styles.css';

const root = document.getElementById('root');
if (root !== null) {
  createRoot(root).render(
    <StrictMode>
      <App client={clientFromWindow()} />
    </StrictMode>,
  );
}
