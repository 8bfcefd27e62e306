namespace Octet.OnnxRuntime;

/// <summary>
/// ONNX Runtime's process-wide environment (logging and shared state), created on first use.
/// It is never released: every session must be released before it, and sessions may still be
/// finalized while the process exits.
/// </summary>
public sealed unsafe class OrtEnv
{
    // ORT_LOGGING_LEVEL_WARNING: ONNX Runtime prints warnings and errors to stderr.
    private const int LoggingLevelWarning = 2;

    private static readonly Lazy<OrtEnv> instance = new(() => new OrtEnv(), LazyThreadSafetyMode.ExecutionAndPublication);

    private OrtEnv()
    {
        NativeApi api = NativeApi.Instance;
        nint env;
        fixed (byte* logId = NativeApi.Utf8("octet"))
            api.Check(api.CreateEnv(LoggingLevelWarning, logId, &env));
        Handle = env;
    }

    /// <summary>The version of the loaded ONNX Runtime library, e.g. "1.30.0".</summary>
    public static string OnnxRuntimeVersion => NativeApi.Instance.VersionString;

    public static OrtEnv Instance() => instance.Value;

    internal nint Handle { get; }

    public string GetVersionString() => NativeApi.Instance.VersionString;
}
