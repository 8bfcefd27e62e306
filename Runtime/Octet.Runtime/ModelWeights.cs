using System.IO.MemoryMappedFiles;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Octet.Runtime;

/// <summary>
/// A read-only view of a model's packed weights blob: a base address and a length. Generated model classes
/// read their constants through <see cref="Span{T}"/> at the byte offsets the model plan gives.
/// <para>
/// Where the bytes live depends on how the view was made:
/// <see cref="FromResource"/> points straight into the assembly image (the runtime maps managed resources
/// read-only along with the rest of the file, so nothing is copied and the pages are shared between
/// processes); <see cref="FromFile"/> maps a file read-only; <see cref="FromBytes"/> and a resource that the
/// runtime cannot hand out as mapped memory are copied once into a pinned, 64-byte-aligned block.
/// </para>
/// <para>
/// Alignment: a copied blob starts on a 64-byte boundary. A resource does not (the PE format aligns managed
/// resources to 8 bytes, and each one follows a 4-byte length), and a mapped file starts on a page boundary.
/// The kernels use unaligned loads throughout, so alignment is a speed question only; <see cref="BaseAlignment"/>
/// tells what a particular view got.
/// </para>
/// <para>
/// Lifetime: spans over a copied blob are tracked by the garbage collector like any array reference. Spans
/// over a resource are valid while the assembly is loaded (forever, unless it was loaded into a collectible
/// context). Spans over a mapped file are valid until <see cref="Dispose"/> is called or the view becomes
/// unreachable, so keep the <see cref="ModelWeights"/> (or the model that holds it) alive while they are in use.
/// </para>
/// </summary>
public sealed unsafe class ModelWeights : IDisposable
{
    /// <summary>Alignment of blocks this class allocates: one cache line, the widest vector (Vector512).</summary>
    public const int Alignment = 64;

    // Exactly one of the two storage kinds is set: a pinned managed array (copied blobs) or a raw address
    // (resources, mapped files). The managed form is preferred when we own the bytes because spans over it
    // keep the array alive on their own.
    private readonly byte[]? block;
    private readonly int blockStart;
    private byte* address;
    private readonly long length;
    private MemoryMappedFile? mappedFile;
    private MemoryMappedViewAccessor? mappedView;
    private readonly Stream? resourceStream;

    private ModelWeights(byte[] block, int blockStart, long length)
    {
        this.block = block;
        this.blockStart = blockStart;
        this.length = length;
        Origin = ModelWeightsOrigin.Copy;
    }

    private ModelWeights(byte* address, long length, ModelWeightsOrigin origin, Stream? resourceStream,
        MemoryMappedFile? mappedFile, MemoryMappedViewAccessor? mappedView)
    {
        this.address = address;
        this.length = length;
        this.resourceStream = resourceStream;
        this.mappedFile = mappedFile;
        this.mappedView = mappedView;
        Origin = origin;
    }

    /// <summary>Size of the blob in bytes.</summary>
    public long Length => length;

    /// <summary>Whether the bytes are read in place (resource, mapped file) or were copied once.</summary>
    public ModelWeightsOrigin Origin { get; }

    /// <summary>The largest power of two (up to 4096) that divides the blob's start address.</summary>
    public int BaseAlignment
    {
        get
        {
            nuint start = (nuint)Unsafe.AsPointer(ref BaseReference());
            int alignment = 1;
            while (alignment < 4096 && (start & (nuint)(alignment * 2 - 1)) == 0) alignment *= 2;
            return alignment;
        }
    }

    /// <summary>
    /// The weights embedded in <paramref name="assembly"/> as the manifest resource <paramref name="resourceName"/>
    /// (the Octet MSBuild targets embed them as <c>Octet.&lt;Namespace&gt;.&lt;ClassName&gt;.weights</c>).
    /// Read in place when the runtime exposes the resource as mapped memory (it does for assemblies loaded
    /// from a file and for NativeAOT executables); copied once otherwise.
    /// </summary>
    /// <exception cref="InvalidDataException">The resource is missing or its size is not <paramref name="expectedBytes"/>.</exception>
    public static ModelWeights FromResource(Assembly assembly, string resourceName, long expectedBytes)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        ArgumentNullException.ThrowIfNull(resourceName);
        var stream = assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidDataException(
                $"The assembly '{assembly.GetName().Name}' has no embedded resource '{resourceName}' holding the model's weights. " +
                "It is added by the OctetModel item of the Octet MSBuild targets; check that the model is listed and the project was rebuilt.");
        CheckLength(stream.Length, expectedBytes, $"embedded resource '{resourceName}' of assembly '{assembly.GetName().Name}'");

        if (stream is UnmanagedMemoryStream mapped)
        {
            // The stream is a window on the loaded image; its position pointer is the resource's first byte.
            return new ModelWeights(mapped.PositionPointer, stream.Length, ModelWeightsOrigin.Resource, stream, null, null);
        }
        using (stream)
        {
            var weights = Allocate(stream.Length);
            stream.ReadExactly(weights.WritableBytes());
            return weights;
        }
    }

    /// <summary>The weights in a file (e.g. <c>octet compile</c> output), mapped read-only.</summary>
    /// <exception cref="InvalidDataException">The file's size is not <paramref name="expectedBytes"/>.</exception>
    public static ModelWeights FromFile(string path, long expectedBytes)
    {
        ArgumentNullException.ThrowIfNull(path);
        long fileLength = new FileInfo(path).Length; // throws FileNotFoundException naming the path
        CheckLength(fileLength, expectedBytes, $"weights file '{path}'");
        if (fileLength == 0)
        {
            // A model whose constants all fit inline has an empty blob; an empty file cannot be mapped.
            return Allocate(0);
        }

        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, mapName: null, 0, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor? view = null;
        try
        {
            view = file.CreateViewAccessor(0, fileLength, MemoryMappedFileAccess.Read);
            byte* start = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            // The view begins on a page boundary; PointerOffset is where the requested offset (0) sits in it.
            return new ModelWeights(start + view.PointerOffset, fileLength, ModelWeightsOrigin.MappedFile, null, file, view);
        }
        catch
        {
            view?.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <summary>The weights in a byte array, copied once into a 64-byte-aligned block (the array may be reused afterwards).</summary>
    public static ModelWeights FromBytes(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var weights = Allocate(bytes.Length);
        bytes.CopyTo(weights.WritableBytes());
        return weights;
    }

    /// <summary>
    /// Throws unless the blob is <paramref name="expectedBytes"/> long: what a generated model's constructor calls
    /// on weights it was handed, since its offsets are only valid for the blob its plan was compiled with.
    /// </summary>
    /// <param name="expectedBytes">The plan's weights size.</param>
    /// <param name="modelName">Named in the message.</param>
    public void RequireLength(long expectedBytes, string modelName)
    {
        CheckLength(length, expectedBytes, $"weights given to model '{modelName}'");
    }

    /// <summary>
    /// <paramref name="count"/> elements of <typeparamref name="T"/> starting <paramref name="byteOffset"/> bytes
    /// into the blob. Bounds are checked; the offset need not be a multiple of the element size.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<T> Span<T>(long byteOffset, int count) where T : unmanaged
    {
        // Both terms are non-negative and below 2^62 when the checks pass, so the sum cannot overflow.
        if ((ulong)byteOffset > (ulong)length || (uint)count > (uint)int.MaxValue ||
            byteOffset + (long)count * sizeof(T) > length)
        {
            ThrowOutOfRange(byteOffset, count, sizeof(T));
        }
        ref byte first = ref Unsafe.Add(ref BaseReference(), (nint)byteOffset);
        return MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, T>(ref first), count);
    }

    /// <summary>
    /// Releases a mapped file. Spans taken earlier must not be used afterwards. Copied blobs and resources
    /// need no disposal (the call does nothing for them).
    /// </summary>
    public void Dispose()
    {
        if (mappedView is { } view)
        {
            address = null;
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
            mappedFile!.Dispose();
            mappedView = null;
            mappedFile = null;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref byte BaseReference()
    {
        if (block is not null) return ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(block), blockStart);
        if (address == null && length > 0) throw new ObjectDisposedException(nameof(ModelWeights), "The weights' mapped file was released by Dispose.");
        return ref Unsafe.AsRef<byte>(address);
    }

    private Span<byte> WritableBytes() => block.AsSpan(blockStart, (int)length);

    private static ModelWeights Allocate(long bytes)
    {
        if (bytes > Array.MaxLength - Alignment)
        {
            throw new InvalidDataException($"A weights blob of {bytes:N0} bytes is too large to copy into memory; use ModelWeights.FromFile to map it.");
        }
        var (block, start) = AlignedBlock.Allocate((int)bytes);
        return new ModelWeights(block, start, bytes);
    }

    private static void CheckLength(long actual, long expected, string what)
    {
        if (actual != expected)
        {
            throw new InvalidDataException(
                $"The {what} holds {actual:N0} bytes, but the model was compiled for {expected:N0} bytes of weights. " +
                "The weights and the generated code come from different compilations of the model; rebuild so both come from the same one.");
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowOutOfRange(long byteOffset, int count, int elementSize)
    {
        throw new ArgumentOutOfRangeException(nameof(byteOffset),
            $"{count} elements of {elementSize} bytes at byte offset {byteOffset} do not fit in the {length:N0}-byte weights blob.");
    }
}
