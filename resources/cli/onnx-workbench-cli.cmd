@echo off
rem The ONNX Workbench command line from an installed app: the app's own executable run as Node.
setlocal
set ELECTRON_RUN_AS_NODE=1
"%~dp0..\ONNX Workbench.exe" "%~dp0app.asar\out\main\cli.js" %*
