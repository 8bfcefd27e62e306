using Octet.Compiler.Data;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;

namespace Octet.Compiler.Quantization.Calibration;

/// <summary>
/// The inputs calibration runs the model on, one sample (a value for every graph input) at a time and by
/// index, so that both calibration passes can read the same samples without holding every sample's tensors
/// in memory. <see cref="Open"/> reads the formats <c>octet quantize --calibration</c> accepts.
/// </summary>
public abstract class CalibrationSamples
{
    public abstract int Count { get; }

    /// <summary>A short name for the data (a file or folder name), recorded in the config.</summary>
    public abstract string Description { get; }

    /// <summary>Sample <paramref name="index"/>: a fresh value for every graph input, with the model's types and shapes.</summary>
    public abstract Dictionary<string, Tensor> Get(int index);

    /// <summary>The first <paramref name="count"/> samples (all of them when there are fewer).</summary>
    public CalibrationSamples Take(int count) => count >= Count ? this : new FirstSamples(this, count);

    /// <summary>Samples held in memory (for tests and for callers that make their own data).</summary>
    public static CalibrationSamples FromList(IReadOnlyList<Dictionary<string, Tensor>> samples, string description = "(in memory)") =>
        new ListSamples(samples, description);

    /// <summary>
    /// Opens calibration data for <paramref name="graph"/>:
    /// <list type="bullet">
    /// <item>a folder of <c>test_data_set_N</c> folders (each holding <c>input_K.pb</c>): one sample per folder;
    /// a single such folder is one sample;</item>
    /// <item>a folder of <c>.npy</c> files, one per input named after it (or a single file for a
    /// single-input model), or a single <c>.npy</c> file: the first axis indexes samples and the rest of each
    /// array must hold as many elements as the input, which it is reshaped to;</item>
    /// <item>an MNIST-format IDX file (unsigned bytes, first dimension = sample) for a single-input model,
    /// each sample reshaped to the input's shape.</item>
    /// </list>
    /// Integer data (IDX, integer <c>.npy</c>) feeding a float input is converted and multiplied by
    /// <paramref name="inputScale"/> (1 when null); float data must match the input's type, and an input
    /// scale given for it is an error rather than silently ignored.
    /// </summary>
    public static CalibrationSamples Open(string path, ModelGraph graph, double? inputScale = null)
    {
        if (inputScale is { } s && !(s > 0 && double.IsFinite(s))) throw new OctetException($"the input scale must be a positive number, got {s}");
        if (File.Exists(path))
        {
            if (path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            {
                if (graph.Inputs.Count != 1)
                    throw new OctetException($"{path}: a single .npy file can only feed a model with one input; this one has {graph.Inputs.Count} ({string.Join(", ", graph.Inputs)}): use a folder with one NAME.npy per input");
                return new NpySamples(path, new Dictionary<string, string> { [graph.Inputs[0]] = path }, graph, inputScale);
            }
            if (LooksLikeIdx(path)) return new IdxSamples(path, graph, inputScale);
            throw new OctetException($"{path}: not an IDX file (MNIST format) or a .npy file");
        }
        if (!Directory.Exists(path)) throw new OctetException($"{path}: no such file or folder");

        var sets = Directory.GetDirectories(path, "test_data_set_*");
        if (sets.Length > 0) return new TestDataSetSamples(path, InputSets.SortedByIndex(sets), graph, inputScale);
        if (Directory.GetFiles(path, "input_*.pb").Length > 0) return new TestDataSetSamples(path, [path], graph, inputScale);
        var npy = Directory.GetFiles(path, "*.npy").OrderBy(f => f, StringComparer.Ordinal).ToList();
        if (npy.Count > 0) return new NpySamples(path, MatchNpyFiles(path, npy, graph), graph, inputScale);
        throw new OctetException($"{path}: holds no test_data_set_N folders, input_K.pb files or .npy files");
    }

    private static bool LooksLikeIdx(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        try
        {
            using var stream = File.OpenRead(path);
            return stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && magic[0] == 0 && magic[1] == 0 && magic[2] == 0x08;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OctetException($"{path}: cannot read ({e.Message})", e);
        }
    }

    private static Dictionary<string, string> MatchNpyFiles(string folder, List<string> files, ModelGraph graph)
    {
        var byName = files.ToDictionary(f => Path.GetFileNameWithoutExtension(f), f => f, StringComparer.Ordinal);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var input in graph.Inputs)
        {
            var file = byName.GetValueOrDefault(input) ?? byName.GetValueOrDefault(NpyFile.FileStem(input))
                       ?? (graph.Inputs.Count == 1 && files.Count == 1 ? files[0] : null)
                       ?? throw new OctetException($"{folder}: no {NpyFile.FileStem(input)}.npy for input '{input}' (found {string.Join(", ", files.Select(Path.GetFileName))})");
            result[input] = file;
        }
        return result;
    }

    private static string ShortName(string path) => Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)));

    /// <summary>
    /// Copies <paramref name="count"/> elements starting at <paramref name="offset"/> of <paramref name="source"/>
    /// into a tensor of the input's type and shape, converting integers to float with the input scale.
    /// </summary>
    private static Tensor Convert(Tensor source, long offset, string what, string input, TensorInfo info, double? inputScale)
    {
        int count = checked((int)info.Shape.ElementCount);
        if (source.ElementType == info.ElementType)
        {
            var result = Tensor.Zeros(info.ElementType, info.Shape);
            int size = info.ElementType.SizeInBytes();
            Buffer.BlockCopy(source.Data, checked((int)(offset * size)), result.Data, 0, count * size);
            return result;
        }
        if (info.ElementType != ElementType.Float32 || !source.ElementType.IsInteger())
            throw new OctetException($"{what}: holds {source.ElementType.OnnxName()} values, input '{input}' is {info.ElementType.OnnxName()}");
        double exactScale = inputScale ?? 1;
        var values = new float[count];
        switch (source.Data)
        {
            case byte[] b: for (int i = 0; i < count; i++) values[i] = (float)(b[offset + i] * exactScale); break;
            case sbyte[] sb: for (int i = 0; i < count; i++) values[i] = (float)(sb[offset + i] * exactScale); break;
            case int[] n: for (int i = 0; i < count; i++) values[i] = (float)(n[offset + i] * exactScale); break;
            case long[] l: for (int i = 0; i < count; i++) values[i] = (float)(l[offset + i] * exactScale); break;
            default: throw new OctetException($"{what}: {source.ElementType.OnnxName()} values cannot feed float input '{input}'");
        }
        return Tensor.Create(info.Shape, values);
    }

    private static void RejectUnusedScale(double? inputScale, string what)
    {
        if (inputScale is not null)
            throw new OctetException($"{what}: holds float values; the input scale applies only to integer data (IDX images, integer .npy files) and would be ignored");
    }

    private sealed class FirstSamples(CalibrationSamples all, int count) : CalibrationSamples
    {
        public override int Count => count;
        public override string Description => all.Description;
        public override Dictionary<string, Tensor> Get(int index) =>
            (uint)index < (uint)count ? all.Get(index) : throw new ArgumentOutOfRangeException(nameof(index));
    }

    private sealed class ListSamples(IReadOnlyList<Dictionary<string, Tensor>> samples, string description) : CalibrationSamples
    {
        public override int Count => samples.Count;
        public override string Description => description;
        public override Dictionary<string, Tensor> Get(int index) => new(samples[index], StringComparer.Ordinal);
    }

    /// <summary>ONNX test-data folders: <c>input_K.pb</c> is the input it names, or the K-th input when it names none.</summary>
    private sealed class TestDataSetSamples : CalibrationSamples
    {
        private readonly List<string> _folders;
        private readonly ModelGraph _graph;
        private readonly double? _inputScale;

        public TestDataSetSamples(string path, List<string> folders, ModelGraph graph, double? inputScale)
        {
            _folders = folders;
            _graph = graph;
            _inputScale = inputScale;
            Description = ShortName(path);
            // Read the first sample now, so that a mismatch is reported before calibration starts.
            Get(0);
        }

        public override int Count => _folders.Count;
        public override string Description { get; }

        public override Dictionary<string, Tensor> Get(int index)
        {
            var folder = _folders[index];
            var files = InputSets.SortedByIndex(Directory.GetFiles(folder, "input_*.pb"));
            if (files.Count == 0) throw new OctetException($"{folder}: holds no input_K.pb files");
            var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            for (int k = 0; k < files.Count; k++)
            {
                var (name, value) = OnnxTensorReader.ReadFile(files[k]);
                if (!_graph.Inputs.Contains(name))
                {
                    if (k >= _graph.Inputs.Count) throw new OctetException($"{files[k]}: names no input of the model, and the model has only {_graph.Inputs.Count} inputs");
                    name = _graph.Inputs[k];
                }
                var info = _graph.Tensor(name);
                if (value.ElementCount != info.Shape.ElementCount)
                    throw new OctetException($"{files[k]}: is {value}, input '{name}' is {info.ElementType.OnnxName()}{info.Shape}");
                if (value.ElementType == ElementType.Float32) RejectUnusedScale(_inputScale, files[k]);
                result[name] = Convert(value, 0, files[k], name, info, _inputScale);
            }
            foreach (var input in _graph.Inputs)
                if (!result.ContainsKey(input)) throw new OctetException($"{folder}: no value for input '{input}'");
            return result;
        }
    }

    /// <summary>One array per input, the first axis indexing samples.</summary>
    private sealed class NpySamples : CalibrationSamples
    {
        private readonly Dictionary<string, (string File, Tensor Array)> _arrays = new(StringComparer.Ordinal);
        private readonly ModelGraph _graph;
        private readonly double? _inputScale;

        public NpySamples(string path, Dictionary<string, string> files, ModelGraph graph, double? inputScale)
        {
            _graph = graph;
            _inputScale = inputScale;
            Description = ShortName(path);
            int count = -1;
            foreach (var (input, file) in files)
            {
                var array = NpyFile.Read(file);
                var info = graph.Tensor(input);
                if (array.Shape.Rank == 0 || array.Shape[0] == 0) throw new OctetException($"{file}: has no samples (shape {array.Shape}; the first axis indexes samples)");
                int samples = array.Shape[0];
                long perSample = array.ElementCount / samples;
                if (perSample != info.Shape.ElementCount)
                    throw new OctetException($"{file}: each sample has {perSample} elements (shape {array.Shape}, first axis = sample); input '{input}' is {info.ElementType.OnnxName()}{info.Shape} with {info.Shape.ElementCount}");
                if (count >= 0 && samples != count)
                    throw new OctetException($"{file}: holds {samples} samples, the other .npy files {count}");
                count = samples;
                if (array.ElementType == ElementType.Float32) RejectUnusedScale(inputScale, file);
                else Convert(array, 0, file, input, info, inputScale); // reports a type mismatch now
                _arrays[input] = (file, array);
            }
            Count = Math.Max(count, 0);
        }

        public override int Count { get; }
        public override string Description { get; }

        public override Dictionary<string, Tensor> Get(int index)
        {
            var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (input, (file, array)) in _arrays)
            {
                var info = _graph.Tensor(input);
                result[input] = Convert(array, index * info.Shape.ElementCount, file, input, info, _inputScale);
            }
            return result;
        }
    }

    /// <summary>An IDX file of unsigned bytes (MNIST images): dimension 0 indexes samples.</summary>
    private sealed class IdxSamples : CalibrationSamples
    {
        private readonly Tensor _data;
        private readonly string _path;
        private readonly string _input;
        private readonly TensorInfo _info;
        private readonly double? _inputScale;

        public IdxSamples(string path, ModelGraph graph, double? inputScale)
        {
            if (graph.Inputs.Count != 1)
                throw new OctetException($"{path}: an IDX file can only feed a model with one input; this one has {graph.Inputs.Count} ({string.Join(", ", graph.Inputs)})");
            var (dims, bytes) = IdxFile.Read(path);
            _path = path;
            _input = graph.Inputs[0];
            _info = graph.Tensor(_input);
            _inputScale = inputScale;
            Description = ShortName(path);
            if (dims[0] == 0) throw new OctetException($"{path}: holds no samples");
            long perSample = bytes.LongLength / dims[0];
            if (perSample != _info.Shape.ElementCount)
                throw new OctetException($"{path}: each sample has {perSample} values ([{string.Join(",", dims.Skip(1))}]); input '{_input}' is {_info.ElementType.OnnxName()}{_info.Shape} with {_info.Shape.ElementCount}");
            if (_info.ElementType != ElementType.Float32 && _info.ElementType != ElementType.UInt8)
                throw new OctetException($"{path}: IDX bytes cannot feed input '{_input}' of type {_info.ElementType.OnnxName()}");
            if (_info.ElementType == ElementType.UInt8 && inputScale is not null)
                throw new OctetException($"{path}: input '{_input}' takes the bytes as they are (uint8); an input scale does not apply");
            _data = Tensor.Create(new Shape(bytes.Length), bytes);
            Count = dims[0];
        }

        public override int Count { get; }
        public override string Description { get; }

        public override Dictionary<string, Tensor> Get(int index) => new(StringComparer.Ordinal)
        {
            [_input] = Convert(_data, index * _info.Shape.ElementCount, _path, _input, _info, _inputScale),
        };
    }
}
