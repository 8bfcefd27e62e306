using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;

namespace Octet.Compiler.Data;

/// <summary>
/// Finds input values for a graph: from an ONNX test-data folder (<c>input_K.pb</c>), from a folder of
/// <c>.npy</c> files (matched to inputs by file name, or by order), or generated from a fixed seed.
/// </summary>
public static class InputSets
{
    public const int RandomSeed = 20261122;

    /// <summary><paramref name="spec"/> is a folder path or the word <c>random</c>.</summary>
    public static Dictionary<string, Tensor> Load(string spec, ModelGraph graph) =>
        spec == "random" ? Random(graph, RandomSeed) : FromFolder(spec, graph);

    public static Dictionary<string, Tensor> FromFolder(string folder, ModelGraph graph)
    {
        if (!Directory.Exists(folder)) throw new OctetException($"--inputs {folder}: folder does not exist");
        var pb = SortedByIndex(Directory.GetFiles(folder, "input_*.pb"));
        var npy = Directory.GetFiles(folder, "*.npy").OrderBy(f => f, StringComparer.Ordinal).ToList();
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        if (pb.Count > 0)
        {
            for (int k = 0; k < pb.Count; k++)
            {
                var (name, value) = OnnxTensorReader.ReadFile(pb[k]);
                if (!graph.Inputs.Contains(name))
                {
                    // input_K.pb is the K-th graph input when the file carries no (or another) name.
                    if (k >= graph.Inputs.Count) throw new OctetException($"{pb[k]}: the model has only {graph.Inputs.Count} inputs");
                    name = graph.Inputs[k];
                }
                result[name] = value;
            }
        }
        else if (npy.Count > 0)
        {
            var byName = npy.ToDictionary(f => Path.GetFileNameWithoutExtension(f), f => f, StringComparer.Ordinal);
            for (int k = 0; k < graph.Inputs.Count; k++)
            {
                var input = graph.Inputs[k];
                var file = byName.GetValueOrDefault(input) ?? byName.GetValueOrDefault(NpyFile.FileStem(input))
                           ?? (npy.Count == graph.Inputs.Count ? npy[k] : null)
                           ?? throw new OctetException($"--inputs {folder}: no {input}.npy for input '{input}'");
                result[input] = NpyFile.Read(file);
            }
        }
        else throw new OctetException($"--inputs {folder}: holds neither input_K.pb files nor .npy files");

        foreach (var input in graph.Inputs)
        {
            if (!result.TryGetValue(input, out var value))
                throw new OctetException($"--inputs {folder}: no value for input '{input}'");
            var info = graph.Tensor(input);
            if (value.ElementType != info.ElementType || value.Shape != info.Shape)
                throw new OctetException($"--inputs {folder}: input '{input}' is {value}, the model expects {info.ElementType.OnnxName()}{info.Shape}");
        }
        return result;
    }

    /// <summary>Deterministic inputs: floats uniform in [0, 1), integers in [0, 10), bools fair coins.</summary>
    public static Dictionary<string, Tensor> Random(ModelGraph graph, int seed)
    {
        var random = new Random(seed);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var input in graph.Inputs)
        {
            var info = graph.Tensor(input);
            var tensor = Tensor.Zeros(info.ElementType, info.Shape);
            // Switch on the element type: a byte[] would also match a test for sbyte[].
            switch (info.ElementType)
            {
                case ElementType.Float32: { var f = tensor.As<float>(); for (int i = 0; i < f.Length; i++) f[i] = random.NextSingle(); break; }
                case ElementType.Int8: { var s = tensor.As<sbyte>(); for (int i = 0; i < s.Length; i++) s[i] = (sbyte)random.Next(0, 10); break; }
                case ElementType.UInt8: { var b = tensor.As<byte>(); for (int i = 0; i < b.Length; i++) b[i] = (byte)random.Next(0, 10); break; }
                case ElementType.Int32: { var n = tensor.As<int>(); for (int i = 0; i < n.Length; i++) n[i] = random.Next(0, 10); break; }
                case ElementType.Int64: { var l = tensor.As<long>(); for (int i = 0; i < l.Length; i++) l[i] = random.Next(0, 10); break; }
                case ElementType.Bool: { var o = tensor.As<bool>(); for (int i = 0; i < o.Length; i++) o[i] = random.Next(2) == 1; break; }
            }
            result[input] = tensor;
        }
        return result;
    }

    /// <summary>input_0.pb, input_1.pb, …, input_10.pb in numeric order.</summary>
    public static List<string> SortedByIndex(IEnumerable<string> files) =>
        files.OrderBy(f => int.TryParse(Path.GetFileNameWithoutExtension(f).Split('_').Last(), out var k) ? k : int.MaxValue)
             .ThenBy(f => f, StringComparer.Ordinal).ToList();

}
