// The one Api the views use: the preload's bridge in Electron, the WebSocket bridge in a browser.
import { type Api, type Bridge, createApi } from '../../../shared/api';
import { createBrowserBridge } from './browser-bridge';

declare global {
  interface Window {
    workbench?: Bridge;
  }
}

export function resolveApi(): Api {
  if (window.workbench) return createApi(window.workbench, 'The connection to the ONNX Workbench main process was lost.');
  return createApi(
    createBrowserBridge(),
    'The connection to the ONNX Workbench server was lost. Is `onnx-workbench serve` still running?',
  );
}
