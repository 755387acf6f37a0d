// The one Api the views use: the preload's bridge in Electron, the WebSocket bridge in a browser.
import { type Api, type Bridge, createApi } from '../../../shared/api';
import { createBrowserBridge } from './browser-bridge';

declare global {
  interface Window {
    workbench?: Bridge;
  }
}

export function resolveApi(): Api {
  return createApi(window.workbench ?? createBrowserBridge());
}
