// Prints which SIMD widths the JIT accelerates here, then for each int8 model and each input (the model's stored
// test_data_set_0 input, and fixed-seed random values) SHA-256 hashes of the output and of the arena. Run with
// DOTNET_EnableAVX512=0 (.NET 10's name; DOTNET_EnableAVX512F for older runtimes), also DOTNET_EnableAVXVNNI=0,
// DOTNET_EnableAVX2=0 or DOTNET_EnableHWIntrinsic=0, the kernels take their Vector256, AVX2-without-VNNI, Vector128
// or scalar paths; integer-only plans must print the same hashes on every one.
// Usage: Octet.DeterminismProbe DATA_FOLDER   (Tests/Data/models)
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using Octet.DeterminismProbe;
using Octet.Samples.AotClassifier;

if (args.Length != 1 || !Directory.Exists(args[0]))
{
    Console.Error.WriteLine("usage: Octet.DeterminismProbe MODELS_FOLDER (the folder holding mnist-8/, squeezenet1.0/, ...)");
    return 2;
}
string models = args[0];
Console.WriteLine($"simd vector512={Vector512.IsHardwareAccelerated} vector256={Vector256.IsHardwareAccelerated} vector128={Vector128.IsHardwareAccelerated} " +
                  $"avxvnni={System.Runtime.Intrinsics.X86.AvxVnni.IsSupported}");

var probes = new (string Name, IProbeModel Model)[]
{
    ("mnist-8", new Mnist8Int8()),
    ("squeezenet1.0", new SqueezeNetInt8()),
    ("mobilenetv3-small-qdq", new MobileNetV3SmallQdq()),
    ("shufflenet-v2-int8", new ShuffleNetV2Int8()),
};
foreach (var (name, model) in probes)
{
    var stored = TensorFile.ReadFloats(Path.Combine(models, name, "test_data_set_0", "input_0.pb"), model.InputCount);
    // Uniform in [0, 1) from a fixed seed: a second input whose values the stored one may not reach.
    var random = new Random(20261122);
    var noise = new float[model.InputCount];
    for (int i = 0; i < noise.Length; i++) noise[i] = random.NextSingle();
    foreach (var (inputName, input) in new[] { ("stored", stored), ("random", noise) })
    {
        var output = new float[model.OutputCount];
        model.Run(input, output);
        Console.WriteLine($"{name} {inputName} output={Hash(MemoryMarshal.AsBytes(output.AsSpan()))} arena={Hash(model.ArenaContents())}");
    }
}
return 0;

static string Hash(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
