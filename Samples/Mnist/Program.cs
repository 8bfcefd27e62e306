// Runs the MNIST CNN (mnist-8) over 10,000 labelled digits three ways and prints each one's top-1 accuracy
// and time per inference: ONNX Runtime on the original model (the reference), and the two classes Octet
// generated at build time from the same model (Mnist.csproj): Mnist8Float (float32) and Mnist8Int8 (the
// int8 plan of the committed quantization config, integer-only arithmetic inside).
using System.Diagnostics;
using Octet.OnnxRuntime;
using Octet.Samples.Mnist;

var root = AppContext.BaseDirectory;
var (imageCount, imageSize, pixels) = Idx.ReadImages(Path.Combine(root, "Data", "mnist-10k-images-idx3-ubyte"));
byte[] labels = Idx.ReadLabels(Path.Combine(root, "Data", "mnist-10k-labels-idx1-ubyte"));
int count = args.Length > 0 ? Math.Min(int.Parse(args[0]), imageCount) : imageCount;
if (imageSize != Mnist8Int8.InputLength) throw new InvalidDataException($"images of {imageSize} pixels; the model takes {Mnist8Int8.InputLength}");

// The model was trained on pixels scaled to 0..1.
var images = new float[count][];
for (int i = 0; i < count; i++)
{
    images[i] = new float[imageSize];
    for (int p = 0; p < imageSize; p++) images[i][p] = pixels[i * imageSize + p] / 255f;
}

var floatModel = new Mnist8Float();
var int8Model = new Mnist8Int8();
var logits = new float[Mnist8Float.OutputLength];
var floatClasses = Classify(images, image => { floatModel.Run(image, logits); return ArgMax(logits); }, out double floatMicroseconds);
var int8Classes = Classify(images, image => { int8Model.Run(image, logits); return ArgMax(logits); }, out double int8Microseconds);

using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
using var session = new InferenceSession(Path.Combine(root, "Data", "mnist-8.onnx"), options);
long[] inputShape = [.. Mnist8Float.InputShape.ToArray().Select(d => (long)d)];
var ortClasses = Classify(images, image => ArgMax(session.Run([NamedOnnxValue.CreateFromTensor(Mnist8Float.InputName, image, inputShape)])[0].AsArray<float>()), out double ortMicroseconds);

int ortCorrect = Correct(ortClasses), floatCorrect = Correct(floatClasses), int8Correct = Correct(int8Classes);
int agree = Enumerable.Range(0, count).Count(i => floatClasses[i] == ortClasses[i]);
Console.WriteLine($"mnist-8 on {count:N0} digits");
Console.WriteLine($"  ONNX Runtime {OrtEnv.OnnxRuntimeVersion} float32:   top-1 {Percent(ortCorrect)} %   {ortMicroseconds,7:F1} us/inference (1 thread)");
Console.WriteLine($"  Octet generated float32:       top-1 {Percent(floatCorrect)} %   {floatMicroseconds,7:F1} us/inference   same class as ONNX Runtime: {agree:N0} of {count:N0}");
Console.WriteLine($"  Octet generated int8:          top-1 {Percent(int8Correct)} %   {int8Microseconds,7:F1} us/inference   (integer-only; config calibrated on the first 1,000 digits)");
// Float sums in a different order than ONNX Runtime's can flip a near tie, but not more than a handful.
return agree >= count - count / 1000 ? 0 : 1;

string Percent(int correct) => (100.0 * correct / count).ToString("F2");
int Correct(int[] classes) => Enumerable.Range(0, count).Count(i => classes[i] == labels[i]);

// Runs every image once after a short warm-up (so the JIT's tiering is out of the figure) and reports the mean time.
static int[] Classify(float[][] images, Func<float[], int> classify, out double microsecondsPerInference)
{
    for (int i = 0; i < Math.Min(200, images.Length); i++) classify(images[i]);
    var classes = new int[images.Length];
    var clock = Stopwatch.StartNew();
    for (int i = 0; i < images.Length; i++) classes[i] = classify(images[i]);
    microsecondsPerInference = clock.Elapsed.TotalMicroseconds / images.Length;
    return classes;
}

static int ArgMax(ReadOnlySpan<float> values)
{
    int best = 0;
    for (int k = 1; k < values.Length; k++) if (values[k] > values[best]) best = k;
    return best;
}
