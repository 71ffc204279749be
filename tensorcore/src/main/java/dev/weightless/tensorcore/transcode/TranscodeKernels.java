package dev.weightless.tensorcore.transcode;

import dev.weightless.jit.kernel.ByteArray;
import dev.weightless.jit.kernel.IntArray;
import dev.weightless.jit.kernel.KernelContext;
import dev.weightless.jit.kernel.ShortArray;
import dev.weightless.tensorcore.layout.PaletteLayout;

/**
 * BF16 weights already in device memory (the GPU decoder's output for a Weightless tensor) into the palette
 * layout (LAYOUT.md), as plain-Java kernels compiled by jit: one warp per 16 x 64 tile, lane l making the
 * codes and sign|mantissa bytes of its own 32 weights. Every tile gets the same palette (the tensor's 7 most
 * frequent exponents), so the result equals {@code PaletteEncoder} with {@code Scope.TENSOR} byte for byte.
 * Three passes: {@link #codeTiles} (tiles, palettes, escape count of tile t into {@code escapeStarts[t + 1]}),
 * {@link #scanStarts} (turns the counts into offsets, in one block), {@link #writeEscapes} (exponents and
 * positions). {@link GpuTranscoder} runs them on a device.
 * <p>
 * The window coding (4-bit codes) has its own first and last pass, {@link #windowCodeTiles} and
 * {@link #windowWriteEscapes}, taking the tensor's window base instead of a palette; the result equals
 * {@code PaletteEncoder} with {@code Scope.TENSOR} and {@code Coding.WINDOW} byte for byte.
 */
public final class TranscodeKernels {
    public static final int WARPS = 8;
    public static final int LOCAL_SIZE = WARPS * KernelContext.WARP_SIZE;
    /** Threads of the one block that scans the escape counts. */
    public static final int SCAN_SIZE = 1024;
    static final int TILE_BYTES = 1408, CODE_BYTES = 384;
    static final int WINDOW_TILE_BYTES = PaletteLayout.WINDOW_TILE_BYTES, WINDOW_CODE_BYTES = PaletteLayout.WINDOW_CODE_BYTES;

    private TranscodeKernels() {}

    /** Code of {@code exponent}: its slot among palette entries 0..6, or 7. */
    private static int code(ByteArray palette, int exponent) {
        int code = 7;
        for (int slot = 6; slot >= 0; slot--) if ((palette.get(slot) & 0xFF) == exponent) code = slot;
        return code;
    }

    /** Index in W of lane {@code lane}'s weight {@code j} of palette-coded tile (strip, kt): {@code PaletteLayout.row} and {@code col(PALETTE, ...)}. */
    private static long at(long strip, long kt, int lane, int j, int k) {
        long row = strip * 16 + (lane >>> 2) + 8 * (j >>> 4);
        long col = kt * 64 + 32 * ((j >>> 3) & 1) + 8 * (lane & 3) + (j & 7);
        return row * k + col;
    }

    /**
     * Index in W of lane {@code lane}'s weight {@code j} of window-coded tile (strip, kt): the same row, the column
     * in the MMA fragment order ({@code PaletteLayout.col(WINDOW, ...)}: pair 2t, 2t+1 of each 8-column group).
     */
    private static long windowAt(long strip, long kt, int lane, int j, int k) {
        long row = strip * 16 + (lane >>> 2) + 8 * (j >>> 4);
        long col = kt * 64 + 8 * ((j & 15) >>> 1) + 2 * (lane & 3) + (j & 1);
        return row * k + col;
    }

    /** Grid: ceil(tiles / WARPS) blocks of LOCAL_SIZE. {@code palette}: 8 bytes, entry 7 zero. */
    public static void codeTiles(KernelContext ctx, ShortArray w, ByteArray palette, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, int n, int k) {
        long tilesPerStrip = k / 64;
        long tileCount = (n / 16) * tilesPerStrip;
        long tile = (long) ctx.groupIdx * WARPS + (ctx.localIdx >>> 5);
        if (tile >= tileCount) return; // whole warps leave together
        int lane = ctx.laneId;
        long strip = tile / tilesPerStrip, kt = tile % tilesPerStrip;
        long base = tile * TILE_BYTES;
        int w0 = 0, w1 = 0, w2 = 0, escapes = 0;
        for (int j = 0; j < 32; j += 2) {
            int a = w.get(at(strip, kt, lane, j, k)) & 0xFFFF, b = w.get(at(strip, kt, lane, j + 1, k)) & 0xFFFF;
            for (int h = 0; h < 2; h++) {
                int v = h == 0 ? a : b, partner = h == 0 ? b : a, jj = j + h;
                int c = code(palette, (v >>> 7) & 0xFF);
                if (c == 7) escapes++;
                int e = jj & 7;
                if (jj < 8) w0 |= c << (4 * e);
                else if (jj < 16) w1 |= c << (4 * e);
                else if (jj < 24) w2 |= c << (4 * e);
                else {
                    w0 |= (c & 1) << (4 * e + 3);
                    w1 |= ((c >>> 1) & 1) << (4 * e + 3);
                    w2 |= ((c >>> 2) & 1) << (4 * e + 3);
                }
                long plane = base + CODE_BYTES + 16 * (32 * (jj >>> 4) + lane) + (jj & 15);
                tiles.set(plane, (byte) (((v & 0x7F) << 1) | ((partner >>> 15) & 1)));
            }
        }
        for (int i = 0; i < 4; i++) {
            tiles.set(base + 4 * lane + i, (byte) (w0 >>> (8 * i)));
            tiles.set(base + 128 + 4 * lane + i, (byte) (w1 >>> (8 * i)));
            tiles.set(base + 256 + 4 * lane + i, (byte) (w2 >>> (8 * i)));
        }
        if (lane < 8) palettes.set(tile * 8 + lane, palette.get(lane));
        for (int d = 16; d > 0; d >>= 1) escapes += ctx.shuffleXor(escapes, d);
        if (lane == 0) escapeStarts.set(tile + 1, escapes);
    }

    /** Entry 0 becomes 0 and entries 1..tiles their running sum: escape counts into offsets. One block of SCAN_SIZE threads. */
    public static void scanStarts(KernelContext ctx, IntArray escapeStarts) {
        int[] sums = ctx.sharedIntArray(SCAN_SIZE);
        long tiles = escapeStarts.size() - 1;
        long per = (tiles + SCAN_SIZE - 1) / SCAN_SIZE;
        long from = Math.min(tiles, ctx.localIdx * per), to = Math.min(tiles, from + per);
        int sum = 0;
        for (long t = from; t < to; t++) sum += escapeStarts.get(t + 1);
        sums[ctx.localIdx] = sum;
        ctx.barrier();
        for (int d = 1; d < SCAN_SIZE; d <<= 1) {
            int add = ctx.localIdx >= d ? sums[ctx.localIdx - d] : 0;
            ctx.barrier();
            sums[ctx.localIdx] += add;
            ctx.barrier();
        }
        int at = sums[ctx.localIdx] - sum;
        for (long t = from; t < to; t++) {
            at += escapeStarts.get(t + 1);
            escapeStarts.set(t + 1, at);
        }
        if (ctx.localIdx == 0) escapeStarts.set(0, 0);
    }

    /** List index of lane {@code lane}'s first escape: the tile's start plus the {@code count}s of the lanes before it (a warp prefix sum). */
    private static long firstEscape(KernelContext ctx, IntArray escapeStarts, long tile, int lane, int count) {
        int inclusive = count;
        for (int d = 1; d < 32; d <<= 1) {
            int v = ctx.shuffleUp(inclusive, d);
            if (lane >= d) inclusive += v;
        }
        return escapeStarts.get(tile) + (inclusive - count);
    }

    /** The escaped exponents and their positions in the tile (plane index), in tile, lane, weight order. Grid as {@link #codeTiles}. */
    public static void writeEscapes(KernelContext ctx, ShortArray w, ByteArray palette, IntArray escapeStarts, ByteArray escapes, ShortArray positions, int n, int k) {
        long tilesPerStrip = k / 64;
        long tileCount = (n / 16) * tilesPerStrip;
        long tile = (long) ctx.groupIdx * WARPS + (ctx.localIdx >>> 5);
        if (tile >= tileCount) return;
        int lane = ctx.laneId;
        long strip = tile / tilesPerStrip, kt = tile % tilesPerStrip;
        int count = 0;
        for (int j = 0; j < 32; j++) if (code(palette, (w.get(at(strip, kt, lane, j, k)) >>> 7) & 0xFF) == 7) count++;
        long next = firstEscape(ctx, escapeStarts, tile, lane, count);
        for (int j = 0; j < 32; j++) {
            int exponent = (w.get(at(strip, kt, lane, j, k)) >>> 7) & 0xFF;
            if (code(palette, exponent) == 7) {
                positions.set(next, (short) (16 * (32 * (j >>> 4) + lane) + (j & 15)));
                escapes.set(next++, (byte) exponent);
            }
        }
    }

    /** Window code of {@code exponent}: its offset from {@code window} if 0..14, else 15 (escape). */
    private static int windowCode(int window, int exponent) {
        int c = exponent - window;
        return c < 0 || c > 14 ? 15 : c;
    }

    /**
     * The window coding's first pass, as {@link #codeTiles} but with the window coding's columns ({@link #windowAt}: the MMA
     * fragment order): lane l writes its 16 code bytes at 16 l of the tile
     * (weight j's nibble in byte 4 (j / 8) + j % 4, high for j % 8 >= 4) and its plane bytes at 512 + the plane
     * index; the tile's palette entry is {@code window} then seven zeros. Grid as {@link #codeTiles}.
     */
    public static void windowCodeTiles(KernelContext ctx, ShortArray w, int window, ByteArray tiles, ByteArray palettes, IntArray escapeStarts, int n, int k) {
        long tilesPerStrip = k / 64;
        long tileCount = (n / 16) * tilesPerStrip;
        long tile = (long) ctx.groupIdx * WARPS + (ctx.localIdx >>> 5);
        if (tile >= tileCount) return; // whole warps leave together
        int lane = ctx.laneId;
        long strip = tile / tilesPerStrip, kt = tile % tilesPerStrip;
        long base = tile * WINDOW_TILE_BYTES;
        int w0 = 0, w1 = 0, w2 = 0, w3 = 0, escapes = 0;
        for (int j = 0; j < 32; j += 2) {
            int a = w.get(windowAt(strip, kt, lane, j, k)) & 0xFFFF, b = w.get(windowAt(strip, kt, lane, j + 1, k)) & 0xFFFF;
            for (int h = 0; h < 2; h++) {
                int v = h == 0 ? a : b, partner = h == 0 ? b : a, jj = j + h;
                int c = windowCode(window, (v >>> 7) & 0xFF);
                if (c == 15) escapes++;
                int shift = 8 * (jj & 3) + 4 * ((jj >>> 2) & 1);
                if (jj < 8) w0 |= c << shift;
                else if (jj < 16) w1 |= c << shift;
                else if (jj < 24) w2 |= c << shift;
                else w3 |= c << shift;
                long plane = base + WINDOW_CODE_BYTES + 16 * (32 * (jj >>> 4) + lane) + (jj & 15);
                tiles.set(plane, (byte) (((v & 0x7F) << 1) | ((partner >>> 15) & 1)));
            }
        }
        long codes = base + 16 * lane;
        for (int i = 0; i < 4; i++) {
            tiles.set(codes + i, (byte) (w0 >>> (8 * i)));
            tiles.set(codes + 4 + i, (byte) (w1 >>> (8 * i)));
            tiles.set(codes + 8 + i, (byte) (w2 >>> (8 * i)));
            tiles.set(codes + 12 + i, (byte) (w3 >>> (8 * i)));
        }
        if (lane < 8) palettes.set(tile * 8 + lane, (byte) (lane == 0 ? window : 0));
        for (int d = 16; d > 0; d >>= 1) escapes += ctx.shuffleXor(escapes, d);
        if (lane == 0) escapeStarts.set(tile + 1, escapes);
    }

    /** The window coding's escaped exponents (code 15) and their positions, as {@link #writeEscapes} (weights found by {@link #windowAt}). Grid as {@link #codeTiles}. */
    public static void windowWriteEscapes(KernelContext ctx, ShortArray w, int window, IntArray escapeStarts, ByteArray escapes, ShortArray positions, int n, int k) {
        long tilesPerStrip = k / 64;
        long tileCount = (n / 16) * tilesPerStrip;
        long tile = (long) ctx.groupIdx * WARPS + (ctx.localIdx >>> 5);
        if (tile >= tileCount) return;
        int lane = ctx.laneId;
        long strip = tile / tilesPerStrip, kt = tile % tilesPerStrip;
        int count = 0;
        for (int j = 0; j < 32; j++) if (windowCode(window, (w.get(windowAt(strip, kt, lane, j, k)) >>> 7) & 0xFF) == 15) count++;
        long next = firstEscape(ctx, escapeStarts, tile, lane, count);
        for (int j = 0; j < 32; j++) {
            int exponent = (w.get(windowAt(strip, kt, lane, j, k)) >>> 7) & 0xFF;
            if (windowCode(window, exponent) == 15) {
                positions.set(next, (short) (16 * (32 * (j >>> 4) + lane) + (j & 15)));
                escapes.set(next++, (byte) exponent);
            }
        }
    }
}
