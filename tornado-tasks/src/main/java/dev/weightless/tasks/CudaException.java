package dev.weightless.tasks;

/** A CUDA driver call that returned an error; the message names the call and the error. */
public final class CudaException extends RuntimeException {
    private final int code;

    CudaException(String call, int code, String errorName) {
        super(call + " failed: " + errorName + " (" + code + ")");
        this.code = code;
    }

    /** The driver's CUresult. */
    public int code() { return code; }
}
