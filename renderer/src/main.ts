import { mount } from 'svelte';
import App from './App.svelte';
import { resolveApi } from './lib/api';
import './app.css';

mount(App, { target: document.getElementById('app')!, props: { api: resolveApi() } });
