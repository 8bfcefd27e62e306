using System.Runtime.InteropServices;

namespace Octet.OnnxRuntime;

/// <summary>
/// A model loaded into ONNX Runtime. Inputs are copied into ONNX Runtime's memory for each run and outputs are
/// copied back into managed arrays, so no managed memory is pinned beyond a call and results need no disposal.
/// </summary>
public sealed unsafe class InferenceSession : IDisposable
{
    private nint handle;

    public InferenceSession(string modelPath)
        : this(modelPath, null)
    {
    }

    public InferenceSession(string modelPath, SessionOptions? options)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        handle = WithOptions(options, optionsHandle =>
        {
            nint session;
            fixed (byte* path = NativeApi.Utf8(modelPath))
                Api.Check(Api.CreateSession(OrtEnv.Instance().Handle, path, optionsHandle, &session));
            return session;
        });
        (InputNames, InputMetadata, OutputNames, OutputMetadata) = ReadMetadataOrRelease();
    }

    public InferenceSession(byte[] model)
        : this(model, null)
    {
    }

    public InferenceSession(byte[] model, SessionOptions? options)
    {
        ArgumentNullException.ThrowIfNull(model);
        handle = WithOptions(options, optionsHandle =>
        {
            nint session;
            fixed (byte* bytes = model)
                Api.Check(Api.CreateSessionFromArray(OrtEnv.Instance().Handle, bytes, (nuint)model.Length, optionsHandle, &session));
            return session;
        });
        (InputNames, InputMetadata, OutputNames, OutputMetadata) = ReadMetadataOrRelease();
    }

    ~InferenceSession() => Release();

    /// <summary>The model's inputs in model order (initializers are not listed).</summary>
    public IReadOnlyList<string> InputNames { get; }

    public IReadOnlyList<string> OutputNames { get; }

    public IReadOnlyDictionary<string, NodeMetadata> InputMetadata { get; }

    public IReadOnlyDictionary<string, NodeMetadata> OutputMetadata { get; }

    /// <summary>Runs the model and returns every output, in model order.</summary>
    public IReadOnlyList<NamedOnnxValue> Run(IReadOnlyCollection<NamedOnnxValue> inputs) => Run(inputs, OutputNames);

    /// <summary>Runs the model and returns the requested outputs, in the order requested.</summary>
    public IReadOnlyList<NamedOnnxValue> Run(IReadOnlyCollection<NamedOnnxValue> inputs, IReadOnlyCollection<string> outputNames)
    {
        ObjectDisposedException.ThrowIf(handle == 0, this);
        CheckNames("input", inputs.Select(input => input.Name), InputMetadata, InputNames);
        // ONNX Runtime only notices a missing input when a node reads it, with a message about that node.
        foreach (string name in InputNames)
        {
            if (!inputs.Any(input => input.Name == name))
                throw new OnnxRuntimeException(OrtErrorCode.InvalidArgument, $"no value given for the model's input '{name}'");
        }
        CheckNames("output", outputNames, OutputMetadata, OutputNames);

        // Every native resource goes into these arrays as soon as it exists, so `finally` frees it whatever fails.
        var inputNamePointers = new nint[inputs.Count];
        var inputValues = new nint[inputs.Count];
        var outputNamePointers = new nint[outputNames.Count];
        var outputValues = new nint[outputNames.Count];
        try
        {
            int i = 0;
            foreach (NamedOnnxValue input in inputs)
            {
                inputNamePointers[i] = Marshal.StringToCoTaskMemUTF8(input.Name);
                inputValues[i] = CreateOrtTensor(input);
                i++;
            }
            int o = 0;
            foreach (string name in outputNames)
                outputNamePointers[o++] = Marshal.StringToCoTaskMemUTF8(name);

            fixed (nint* inNames = inputNamePointers, inValues = inputValues, outNames = outputNamePointers, outValues = outputValues)
            {
                Api.Check(Api.Run(handle, 0, inNames, inValues, (nuint)inputValues.Length,
                    outNames, (nuint)outputValues.Length, outValues));
            }

            var results = new List<NamedOnnxValue>(outputValues.Length);
            o = 0;
            foreach (string name in outputNames)
                results.Add(ReadOrtTensor(name, outputValues[o++]));
            return results;
        }
        finally
        {
            foreach (nint value in inputValues.Concat(outputValues))
            {
                if (value != 0)
                    Api.ReleaseValue(value);
            }
            foreach (nint name in inputNamePointers.Concat(outputNamePointers))
                Marshal.FreeCoTaskMem(name);
        }
    }

    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    private static NativeApi Api => NativeApi.Instance;

    /// <summary>Calls <paramref name="create"/> with the given options, or with default ones made for the call.</summary>
    private static nint WithOptions(SessionOptions? options, Func<nint, nint> create)
    {
        if (options != null)
            return create(options.Handle);
        using var defaults = new SessionOptions();
        return create(defaults.Handle);
    }

    private (IReadOnlyList<string>, IReadOnlyDictionary<string, NodeMetadata>, IReadOnlyList<string>, IReadOnlyDictionary<string, NodeMetadata>)
        ReadMetadataOrRelease()
    {
        try
        {
            nuint inputCount, outputCount;
            Api.Check(Api.SessionGetInputCount(handle, &inputCount));
            Api.Check(Api.SessionGetOutputCount(handle, &outputCount));
            var (inputNames, inputMetadata) = ReadNodes((int)inputCount, Api.SessionGetInputName, Api.SessionGetInputTypeInfo);
            var (outputNames, outputMetadata) = ReadNodes((int)outputCount, Api.SessionGetOutputName, Api.SessionGetOutputTypeInfo);
            return (inputNames, inputMetadata, outputNames, outputMetadata);
        }
        catch
        {
            Release();
            throw;
        }
    }

    private (string[], Dictionary<string, NodeMetadata>) ReadNodes(int count,
        delegate* unmanaged<nint, nuint, nint, byte**, nint> getName,
        delegate* unmanaged<nint, nuint, nint*, nint> getTypeInfo)
    {
        var names = new string[count];
        var metadata = new Dictionary<string, NodeMetadata>(count);
        for (int i = 0; i < count; i++)
        {
            byte* name;
            Api.Check(getName(handle, (nuint)i, Api.DefaultAllocator, &name));
            names[i] = Api.TakeAllocatedString(name);

            nint typeInfo;
            Api.Check(getTypeInfo(handle, (nuint)i, &typeInfo));
            try
            {
                metadata[names[i]] = ReadNodeMetadata(typeInfo);
            }
            finally
            {
                Api.ReleaseTypeInfo(typeInfo);
            }
        }
        return (names, metadata);
    }

    private static NodeMetadata ReadNodeMetadata(nint typeInfo)
    {
        int valueType;
        Api.Check(Api.GetOnnxTypeFromTypeInfo(typeInfo, &valueType));
        if ((OnnxValueType)valueType != OnnxValueType.ONNX_TYPE_TENSOR)
            return new NodeMetadata((OnnxValueType)valueType, default, [], []);

        // The tensor info belongs to typeInfo: it is not released separately.
        nint tensorInfo;
        Api.Check(Api.CastTypeInfoToTensorInfo(typeInfo, &tensorInfo));
        int elementType;
        Api.Check(Api.GetTensorElementType(tensorInfo, &elementType));
        long[] dims = ReadDimensions(tensorInfo);

        var symbols = new nint[dims.Length];
        fixed (nint* symbolPointers = symbols)
            Api.Check(Api.GetSymbolicDimensions(tensorInfo, (byte**)symbolPointers, (nuint)symbols.Length));
        // The strings also belong to typeInfo; copy them now.
        string[] symbolicDimensions = Array.ConvertAll(symbols, s => Marshal.PtrToStringUTF8(s) ?? "");

        int[] dimensions = Array.ConvertAll(dims, d => d < 0 ? -1 : checked((int)d));
        return new NodeMetadata(OnnxValueType.ONNX_TYPE_TENSOR, (TensorElementType)elementType, dimensions, symbolicDimensions);
    }

    private static long[] ReadDimensions(nint tensorInfo)
    {
        nuint rank;
        Api.Check(Api.GetDimensionsCount(tensorInfo, &rank));
        var dims = new long[(int)rank];
        fixed (long* dimsPointer = dims)
            Api.Check(Api.GetDimensions(tensorInfo, dimsPointer, rank));
        return dims;
    }

    /// <summary>
    /// ONNX Runtime's own message for an unknown name does not say which names exist; this one does.
    /// </summary>
    private static void CheckNames(string kind, IEnumerable<string> names, IReadOnlyDictionary<string, NodeMetadata> known, IReadOnlyList<string> modelOrder)
    {
        var seen = new HashSet<string>();
        foreach (string name in names)
        {
            if (!known.ContainsKey(name))
                throw new OnnxRuntimeException(OrtErrorCode.InvalidArgument,
                    $"the model has no {kind} named '{name}'; its {kind}s are: {string.Join(", ", modelOrder.Select(n => $"'{n}'"))}");
            if (!seen.Add(name))
                throw new OnnxRuntimeException(OrtErrorCode.InvalidArgument, $"{kind} '{name}' is given more than once");
        }
    }

    /// <summary>A new ONNX Runtime tensor holding a copy of <paramref name="value"/>; the caller releases it.</summary>
    private static nint CreateOrtTensor(NamedOnnxValue value)
    {
        nint ortValue;
        fixed (long* shape = value.Shape)
        {
            Api.Check(Api.CreateTensorAsOrtValue(Api.DefaultAllocator, shape, (nuint)value.Shape.Length,
                (int)value.ElementType, &ortValue));
        }
        try
        {
            int byteCount = checked(value.Data.Length * value.ElementType.SizeOf());
            if (byteCount > 0)
            {
                void* destination;
                Api.Check(Api.GetTensorMutableData(ortValue, &destination));
                MemoryMarshal.CreateReadOnlySpan(ref MemoryMarshal.GetArrayDataReference(value.Data), byteCount)
                    .CopyTo(new Span<byte>(destination, byteCount));
            }
            return ortValue;
        }
        catch
        {
            Api.ReleaseValue(ortValue);
            throw;
        }
    }

    /// <summary>Copies an ONNX Runtime tensor into a managed <see cref="NamedOnnxValue"/>; does not release it.</summary>
    private static NamedOnnxValue ReadOrtTensor(string name, nint ortValue)
    {
        int isTensor;
        Api.Check(Api.IsTensor(ortValue, &isTensor));
        if (isTensor == 0)
            throw new NotSupportedException($"output '{name}' is not a tensor; this binding only reads tensors");

        nint info;
        Api.Check(Api.GetTensorTypeAndShape(ortValue, &info));
        TensorElementType elementType;
        long[] shape;
        try
        {
            int type;
            Api.Check(Api.GetTensorElementType(info, &type));
            elementType = (TensorElementType)type;
            shape = ReadDimensions(info);
        }
        finally
        {
            Api.ReleaseTensorTypeAndShapeInfo(info);
        }

        Type clrType = elementType.ClrType()
            ?? throw new NotSupportedException($"output '{name}' has element type {elementType}, which this binding cannot read");
        long count = 1;
        foreach (long dim in shape)
            count = checked(count * dim);
        Array data = Array.CreateInstance(clrType, count);
        int byteCount = checked((int)count * elementType.SizeOf());
        if (byteCount > 0)
        {
            void* source;
            Api.Check(Api.GetTensorMutableData(ortValue, &source));
            new ReadOnlySpan<byte>(source, byteCount)
                .CopyTo(MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(data), byteCount));
        }
        return NamedOnnxValue.CreateFromArray(name, data, shape);
    }

    private void Release()
    {
        if (handle != 0)
        {
            Api.ReleaseSession(handle);
            handle = 0;
        }
    }
}
