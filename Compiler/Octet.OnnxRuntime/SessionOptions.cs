namespace Octet.OnnxRuntime;

/// <summary>
/// Settings for creating an <see cref="InferenceSession"/>. Each setter passes its value to ONNX Runtime
/// at once, so an invalid value throws there rather than when the session is created.
/// </summary>
public sealed unsafe class SessionOptions : IDisposable
{
    private nint handle;
    private int intraOpNumThreads;
    private int interOpNumThreads;
    private GraphOptimizationLevel graphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL;
    private ExecutionMode executionMode = ExecutionMode.ORT_SEQUENTIAL;
    private string optimizedModelFilePath = "";

    public SessionOptions()
    {
        nint created;
        Api.Check(Api.CreateSessionOptions(&created));
        handle = created;
    }

    ~SessionOptions() => Release();

    /// <summary>Threads used inside one operator; 0 lets ONNX Runtime choose (one per core).</summary>
    public int IntraOpNumThreads
    {
        get => intraOpNumThreads;
        set
        {
            Api.Check(Api.SetIntraOpNumThreads(Handle, value));
            intraOpNumThreads = value;
        }
    }

    /// <summary>Threads running independent operators at once (only with <see cref="ExecutionMode.ORT_PARALLEL"/>).</summary>
    public int InterOpNumThreads
    {
        get => interOpNumThreads;
        set
        {
            Api.Check(Api.SetInterOpNumThreads(Handle, value));
            interOpNumThreads = value;
        }
    }

    public GraphOptimizationLevel GraphOptimizationLevel
    {
        get => graphOptimizationLevel;
        set
        {
            Api.Check(Api.SetSessionGraphOptimizationLevel(Handle, (int)value));
            graphOptimizationLevel = value;
        }
    }

    public ExecutionMode ExecutionMode
    {
        get => executionMode;
        set
        {
            Api.Check(Api.SetSessionExecutionMode(Handle, (int)value));
            executionMode = value;
        }
    }

    /// <summary>
    /// Where to save the model as ONNX Runtime rewrote it for <see cref="GraphOptimizationLevel"/> (written when
    /// a session is created); shows which fused kernels a reference result came from. "" saves nothing.
    /// </summary>
    public string OptimizedModelFilePath
    {
        get => optimizedModelFilePath;
        set
        {
            fixed (byte* path = NativeApi.Utf8(value))
                Api.Check(Api.SetOptimizedModelFilePath(Handle, path));
            optimizedModelFilePath = value;
        }
    }

    /// <summary>
    /// Sets one of ONNX Runtime's string-keyed session settings (onnxruntime_session_options_config_keys.h),
    /// e.g. "session.intra_op.allow_spinning" = "0" to stop idle worker threads from spinning.
    /// </summary>
    public void AddSessionConfigEntry(string key, string value)
    {
        fixed (byte* keyUtf8 = NativeApi.Utf8(key))
        fixed (byte* valueUtf8 = NativeApi.Utf8(value))
            Api.Check(Api.AddSessionConfigEntry(Handle, keyUtf8, valueUtf8));
    }

    internal nint Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(handle == 0, this);
            return handle;
        }
    }

    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    private static NativeApi Api => NativeApi.Instance;

    private void Release()
    {
        if (handle != 0)
        {
            Api.ReleaseSessionOptions(handle);
            handle = 0;
        }
    }
}
