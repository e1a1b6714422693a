// wasmws/ws/register is loaded for its effect (the `ws` switch) and exports nothing.
export {};
