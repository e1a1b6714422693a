"""An independent WebSocket peer for interop tests (Debian's python3-websockets).

  peer.py server [deflate]          echo server; prints "PORT <n>" once listening
  peer.py client URL [deflate]      sends the test script's messages, checks the echoes, prints "OK"

With "deflate", permessage-deflate is on with websockets' defaults (its own default);
without it, compression is off.
"""
import asyncio
import sys

import websockets


async def echo(ws, *args):
    try:
        async for message in ws:
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass


async def serve(compression):
    async with websockets.serve(echo, "127.0.0.1", 0, max_size=32 * 1024 * 1024, compression=compression) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"PORT {port}", flush=True)
        await asyncio.Future()


def payload(size):
    return bytes((i * 31) & 0xFF for i in range(size))


async def client(url, compression):
    async with websockets.connect(url, max_size=32 * 1024 * 1024, compression=compression) as ws:
        negotiated = [type(e).__name__ for e in ws.extensions]
        print(f"EXTENSIONS {negotiated}", flush=True)
        await ws.send("héllo ✓")
        assert await ws.recv() == "héllo ✓"
        for size in (0, 125, 126, 65535, 65536, 16 * 1024 * 1024):
            data = payload(size)
            await ws.send(data)
            got = await ws.recv()
            assert got == data, f"binary {size} differs"
        await ws.send(["frag", "mented"])  # a fragmented text message
        assert await ws.recv() == "fragmented"
        pong = await ws.ping(b"py")
        await asyncio.wait_for(pong, 5)
        await ws.close(4001, "py done")
        assert ws.close_code == 4001, ws.close_code
    print("OK", flush=True)


if __name__ == "__main__":
    deflate = "deflate" if "deflate" in sys.argv[2:] else None
    if sys.argv[1] == "server":
        asyncio.run(serve(deflate))
    else:
        asyncio.run(client(sys.argv[2], deflate))
