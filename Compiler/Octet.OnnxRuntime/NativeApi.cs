using System.Runtime.InteropServices;
using System.Text;

namespace Octet.OnnxRuntime;

/// <summary>
/// The ONNX Runtime C API: the library's one export, <c>OrtGetApiBase</c>, leads to the <c>OrtApi</c> table of
/// function pointers. Entries are only ever appended to that table, so a slot number read from the public
/// header <c>onnxruntime_c_api.h</c> stays valid in every later release. A wrong slot calls the wrong function
/// and usually crashes the process, so every slot used here is exercised by the tests.
/// </summary>
/// <remarks>
/// Handles are raw pointers (<see cref="nint"/>); C strings are null-terminated UTF-8. Functions returning
/// <c>OrtStatus*</c> return null on success; pass the result to <see cref="Check"/>.
/// </remarks>
internal sealed unsafe class NativeApi
{
    public const string LibraryFileName = "libonnxruntime.so.1";

    // The table layout we rely on is the one of API version 17 (ONNX Runtime 1.17); later libraries serve it too.
    private const uint ApiVersion = 17;

    private static readonly Lazy<NativeApi> instance = new(() => new NativeApi(), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The loaded library; throws <see cref="OnnxRuntimeException"/> if it cannot be loaded.</summary>
    public static NativeApi Instance => instance.Value;

    public string VersionString { get; }

    public readonly delegate* unmanaged<nint, int> GetErrorCode;                                   // slot 1
    public readonly delegate* unmanaged<nint, byte*> GetErrorMessage;                              // slot 2
    public readonly delegate* unmanaged<int, byte*, nint*, nint> CreateEnv;                        // slot 3
    public readonly delegate* unmanaged<nint, byte*, nint, nint*, nint> CreateSession;             // slot 7
    public readonly delegate* unmanaged<nint, byte*, nuint, nint, nint*, nint> CreateSessionFromArray; // slot 8
    public readonly delegate* unmanaged<nint, nint, nint*, nint*, nuint, nint*, nuint, nint*, nint> Run; // slot 9
    public readonly delegate* unmanaged<nint*, nint> CreateSessionOptions;                         // slot 10
    public readonly delegate* unmanaged<nint, byte*, nint> SetOptimizedModelFilePath;              // slot 11
    public readonly delegate* unmanaged<nint, int, nint> SetSessionExecutionMode;                  // slot 13
    public readonly delegate* unmanaged<nint, int, nint> SetSessionGraphOptimizationLevel;         // slot 23
    public readonly delegate* unmanaged<nint, int, nint> SetIntraOpNumThreads;                     // slot 24
    public readonly delegate* unmanaged<nint, int, nint> SetInterOpNumThreads;                     // slot 25
    public readonly delegate* unmanaged<nint, nuint*, nint> SessionGetInputCount;                  // slot 30
    public readonly delegate* unmanaged<nint, nuint*, nint> SessionGetOutputCount;                 // slot 31
    public readonly delegate* unmanaged<nint, nuint, nint*, nint> SessionGetInputTypeInfo;         // slot 33
    public readonly delegate* unmanaged<nint, nuint, nint*, nint> SessionGetOutputTypeInfo;        // slot 34
    public readonly delegate* unmanaged<nint, nuint, nint, byte**, nint> SessionGetInputName;      // slot 36
    public readonly delegate* unmanaged<nint, nuint, nint, byte**, nint> SessionGetOutputName;     // slot 37
    public readonly delegate* unmanaged<nint, long*, nuint, int, nint*, nint> CreateTensorAsOrtValue; // slot 48
    public readonly delegate* unmanaged<nint, int*, nint> IsTensor;                                // slot 50
    public readonly delegate* unmanaged<nint, void**, nint> GetTensorMutableData;                  // slot 51
    public readonly delegate* unmanaged<nint, nint*, nint> CastTypeInfoToTensorInfo;               // slot 55
    public readonly delegate* unmanaged<nint, int*, nint> GetOnnxTypeFromTypeInfo;                 // slot 56
    public readonly delegate* unmanaged<nint, int*, nint> GetTensorElementType;                    // slot 60
    public readonly delegate* unmanaged<nint, nuint*, nint> GetDimensionsCount;                    // slot 61
    public readonly delegate* unmanaged<nint, long*, nuint, nint> GetDimensions;                   // slot 62
    public readonly delegate* unmanaged<nint, byte**, nuint, nint> GetSymbolicDimensions;          // slot 63
    public readonly delegate* unmanaged<nint, nint*, nint> GetTensorTypeAndShape;                  // slot 65
    public readonly delegate* unmanaged<nint, void*, nint> AllocatorFree;                          // slot 76
    public readonly delegate* unmanaged<nint*, nint> GetAllocatorWithDefaultOptions;               // slot 78
    public readonly delegate* unmanaged<nint, void> ReleaseStatus;                                 // slot 93
    public readonly delegate* unmanaged<nint, void> ReleaseSession;                                // slot 95
    public readonly delegate* unmanaged<nint, void> ReleaseValue;                                  // slot 96
    public readonly delegate* unmanaged<nint, void> ReleaseTypeInfo;                               // slot 98
    public readonly delegate* unmanaged<nint, void> ReleaseTensorTypeAndShapeInfo;                 // slot 99
    public readonly delegate* unmanaged<nint, void> ReleaseSessionOptions;                         // slot 100
    public readonly delegate* unmanaged<nint, byte*, byte*, nint> AddSessionConfigEntry;           // slot 130

    /// <summary>ONNX Runtime's CPU allocator; process-wide, never freed.</summary>
    public nint DefaultAllocator { get; }

    private NativeApi()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            throw new OnnxRuntimeException(OrtErrorCode.Fail,
                $"the ONNX Runtime binding only has a linux-x64 library; this process is {RuntimeInformation.RuntimeIdentifier}");

        string path = Path.Combine(AppContext.BaseDirectory, LibraryFileName);
        if (!File.Exists(path))
            throw new OnnxRuntimeException(OrtErrorCode.NoSuchFile,
                $"{path} is missing. The build of Octet.OnnxRuntime fetches it (see OnnxRuntimeNative.targets) and copies it " +
                "next to every program that references that project; rebuild the program.");

        nint library = NativeLibrary.Load(path);
        var getApiBase = (delegate* unmanaged<nint*>)NativeLibrary.GetExport(library, "OrtGetApiBase");
        // OrtApiBase is two function pointers: GetApi(version) and GetVersionString().
        nint* apiBase = getApiBase();
        var getApi = (delegate* unmanaged<uint, nint*>)apiBase[0];
        var getVersionString = (delegate* unmanaged<byte*>)apiBase[1];
        VersionString = Marshal.PtrToStringUTF8((nint)getVersionString()) ?? "";

        nint* table = getApi(ApiVersion);
        if (table == null)
            throw new OnnxRuntimeException(OrtErrorCode.Fail,
                $"ONNX Runtime {VersionString} at {path} does not provide C API version {ApiVersion}");

        GetErrorCode = (delegate* unmanaged<nint, int>)table[1];
        GetErrorMessage = (delegate* unmanaged<nint, byte*>)table[2];
        CreateEnv = (delegate* unmanaged<int, byte*, nint*, nint>)table[3];
        CreateSession = (delegate* unmanaged<nint, byte*, nint, nint*, nint>)table[7];
        CreateSessionFromArray = (delegate* unmanaged<nint, byte*, nuint, nint, nint*, nint>)table[8];
        Run = (delegate* unmanaged<nint, nint, nint*, nint*, nuint, nint*, nuint, nint*, nint>)table[9];
        CreateSessionOptions = (delegate* unmanaged<nint*, nint>)table[10];
        SetOptimizedModelFilePath = (delegate* unmanaged<nint, byte*, nint>)table[11];
        SetSessionExecutionMode = (delegate* unmanaged<nint, int, nint>)table[13];
        SetSessionGraphOptimizationLevel = (delegate* unmanaged<nint, int, nint>)table[23];
        SetIntraOpNumThreads = (delegate* unmanaged<nint, int, nint>)table[24];
        SetInterOpNumThreads = (delegate* unmanaged<nint, int, nint>)table[25];
        SessionGetInputCount = (delegate* unmanaged<nint, nuint*, nint>)table[30];
        SessionGetOutputCount = (delegate* unmanaged<nint, nuint*, nint>)table[31];
        SessionGetInputTypeInfo = (delegate* unmanaged<nint, nuint, nint*, nint>)table[33];
        SessionGetOutputTypeInfo = (delegate* unmanaged<nint, nuint, nint*, nint>)table[34];
        SessionGetInputName = (delegate* unmanaged<nint, nuint, nint, byte**, nint>)table[36];
        SessionGetOutputName = (delegate* unmanaged<nint, nuint, nint, byte**, nint>)table[37];
        CreateTensorAsOrtValue = (delegate* unmanaged<nint, long*, nuint, int, nint*, nint>)table[48];
        IsTensor = (delegate* unmanaged<nint, int*, nint>)table[50];
        GetTensorMutableData = (delegate* unmanaged<nint, void**, nint>)table[51];
        CastTypeInfoToTensorInfo = (delegate* unmanaged<nint, nint*, nint>)table[55];
        GetOnnxTypeFromTypeInfo = (delegate* unmanaged<nint, int*, nint>)table[56];
        GetTensorElementType = (delegate* unmanaged<nint, int*, nint>)table[60];
        GetDimensionsCount = (delegate* unmanaged<nint, nuint*, nint>)table[61];
        GetDimensions = (delegate* unmanaged<nint, long*, nuint, nint>)table[62];
        GetSymbolicDimensions = (delegate* unmanaged<nint, byte**, nuint, nint>)table[63];
        GetTensorTypeAndShape = (delegate* unmanaged<nint, nint*, nint>)table[65];
        AllocatorFree = (delegate* unmanaged<nint, void*, nint>)table[76];
        GetAllocatorWithDefaultOptions = (delegate* unmanaged<nint*, nint>)table[78];
        ReleaseStatus = (delegate* unmanaged<nint, void>)table[93];
        ReleaseSession = (delegate* unmanaged<nint, void>)table[95];
        ReleaseValue = (delegate* unmanaged<nint, void>)table[96];
        ReleaseTypeInfo = (delegate* unmanaged<nint, void>)table[98];
        ReleaseTensorTypeAndShapeInfo = (delegate* unmanaged<nint, void>)table[99];
        ReleaseSessionOptions = (delegate* unmanaged<nint, void>)table[100];
        AddSessionConfigEntry = (delegate* unmanaged<nint, byte*, byte*, nint>)table[130];

        nint allocator;
        Check(GetAllocatorWithDefaultOptions(&allocator));
        DefaultAllocator = allocator;
    }

    /// <summary>Throws ONNX Runtime's error if <paramref name="status"/> is not success, and frees the status.</summary>
    public void Check(nint status)
    {
        if (status == 0)
            return;
        var code = (OrtErrorCode)GetErrorCode(status);
        string message = Marshal.PtrToStringUTF8((nint)GetErrorMessage(status)) ?? "";
        ReleaseStatus(status);
        throw new OnnxRuntimeException(code, message);
    }

    /// <summary>A null-terminated UTF-8 copy of <paramref name="text"/>, to pin and pass as <c>const char*</c>.</summary>
    public static byte[] Utf8(string text)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    /// <summary>Reads a string ONNX Runtime allocated with the default allocator, then frees it.</summary>
    public string TakeAllocatedString(byte* text)
    {
        try
        {
            return Marshal.PtrToStringUTF8((nint)text) ?? "";
        }
        finally
        {
            Check(AllocatorFree(DefaultAllocator, text));
        }
    }
}
