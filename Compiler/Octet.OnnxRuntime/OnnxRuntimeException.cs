namespace Octet.OnnxRuntime;

/// <summary>
/// An error reported by ONNX Runtime (the message is ONNX Runtime's own), or a misuse of this binding
/// that ONNX Runtime would reject less clearly (for example an input name the model does not have).
/// </summary>
public sealed class OnnxRuntimeException : Exception
{
    public OnnxRuntimeException(OrtErrorCode errorCode, string message)
        : base($"[ErrorCode:{errorCode}] {message}")
    {
        ErrorCode = errorCode;
    }

    public OrtErrorCode ErrorCode { get; }
}
