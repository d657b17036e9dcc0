package containers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/testcontainers/testcontainers-go"
)

const (
	// binaryPackage is the txsync main package, relative to the module root.
	binaryPackage = "./bootstrap/cmd/txsync"

	// dockerfilePath is the Dockerfile shared with the Taskfile's image
	// task, relative to the module root. Its build context holds the binary
	// as ./txsync and the empty folders ./rootfs/data and ./rootfs/tmp.
	dockerfilePath = "bootstrap/cmd/txsync/Dockerfile"

	// imageRepository names the images built here. The tag is a hash of the
	// binary and the Dockerfile, so an unchanged build reuses its image.
	// NOTE: nothing removes these images, so each changed binary leaves one
	// behind. Remove them with docker rmi $(docker images -q txsync-test).
	imageRepository = "txsync-test"

	// imageBuildTimeout bounds the go build and the docker build together.
	imageBuildTimeout = 10 * time.Minute
)

// builtImage caches the name of the image built by this test process.
// Only a success is cached, so a test whose context was cancelled during
// the build does not fail the tests after it.
var builtImage struct {
	sync.Mutex
	name string
}

// Image returns the name of a Docker image that runs the txsync binary of
// this module, building the binary and the image on the first call. Parallel
// callers wait for that one build. A test process that finds an image with
// the same content hash reuses it. Image fails tb when the build fails.
func Image(ctx context.Context, tb testing.TB) string {
	tb.Helper()

	provider := requireDocker(tb)

	builtImage.Lock()
	defer builtImage.Unlock()

	if builtImage.name != "" {
		return builtImage.name
	}

	ctx, cancel := context.WithTimeout(ctx, imageBuildTimeout)
	defer cancel()

	name, err := buildImage(ctx, provider)
	if err != nil {
		tb.Fatalf("build txsync image: %v", err)
	}

	builtImage.name = name

	return name
}

func buildImage(ctx context.Context, provider *testcontainers.DockerProvider) (string, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return "", err
	}

	buildDir, err := os.MkdirTemp("", "txsync-image-")
	if err != nil {
		return "", fmt.Errorf("create build context folder: %w", err)
	}
	defer os.RemoveAll(buildDir) // The image holds its own copy of every file.

	if err := buildBinary(ctx, root, filepath.Join(buildDir, "txsync")); err != nil {
		return "", err
	}

	tag, err := prepareContext(root, buildDir)
	if err != nil {
		return "", err
	}

	name := imageRepository + ":" + tag

	_, err = provider.Client().ImageInspect(ctx, name)
	if err == nil {
		return name, nil
	}

	if !errdefs.IsNotFound(err) {
		return "", fmt.Errorf("inspect image %s: %w", name, err)
	}

	return dockerBuild(ctx, provider, buildDir, tag)
}

// moduleRoot returns the folder of the go.mod that governs the working
// directory, which go test sets to the folder of the package under test.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("run go env GOMOD: %w", err)
	}

	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("find module root: the working directory is not inside a Go module")
	}

	return filepath.Dir(gomod), nil
}

// buildBinary builds a static txsync binary, since the image has no C
// library. The flags match the Taskfile's build task, so the two share the
// Go build cache.
func buildBinary(ctx context.Context, root, output string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", output, binaryPackage)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")

	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build %s: %w\n%s", binaryPackage, err, out)
	}

	return nil
}

// prepareContext completes the build context around the binary and returns
// the image tag: the first 12 hex digits of the SHA-256 of the binary and
// the Dockerfile.
func prepareContext(root, buildDir string) (string, error) {
	dockerfile, err := os.ReadFile(filepath.Join(root, dockerfilePath))
	if err != nil {
		return "", fmt.Errorf("read Dockerfile: %w", err)
	}

	err = os.WriteFile(filepath.Join(buildDir, "Dockerfile"), dockerfile, 0o644)
	if err != nil {
		return "", fmt.Errorf("write Dockerfile: %w", err)
	}

	for _, dir := range []string{"rootfs/data", "rootfs/tmp"} {
		if err := os.MkdirAll(filepath.Join(buildDir, dir), 0o755); err != nil {
			return "", fmt.Errorf("create %s: %w", dir, err)
		}
	}

	// The image runs as an unprivileged user, which needs a writable /tmp.
	if err := os.Chmod(filepath.Join(buildDir, "rootfs/tmp"), 0o1777); err != nil {
		return "", fmt.Errorf("make rootfs/tmp writable: %w", err)
	}

	binary, err := os.Open(filepath.Join(buildDir, "txsync"))
	if err != nil {
		return "", fmt.Errorf("open binary: %w", err)
	}
	defer binary.Close() // Read only, so Close reports nothing worth handling.

	hash := sha256.New()
	if _, err := io.Copy(hash, binary); err != nil {
		return "", fmt.Errorf("hash binary: %w", err)
	}

	hash.Write(dockerfile)

	return hex.EncodeToString(hash.Sum(nil))[:12], nil
}

func dockerBuild(
	ctx context.Context,
	provider *testcontainers.DockerProvider,
	buildDir string,
	tag string,
) (string, error) {
	var buildLog bytes.Buffer

	request := testcontainers.ContainerRequest{
		FromDockerfile: testcontainers.FromDockerfile{
			Context:        buildDir,
			Repo:           imageRepository,
			Tag:            tag,
			KeepImage:      true,
			BuildLogWriter: &buildLog,
		},
	}

	name, err := provider.BuildImage(ctx, &request)
	if err != nil {
		return "", fmt.Errorf("docker build %s:%s: %w\n%s", imageRepository, tag, err, &buildLog)
	}

	return name, nil
}
