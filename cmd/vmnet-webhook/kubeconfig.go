package main

import (
	"github.com/spf13/pflag"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// kubeconfigFlags are the flags of the commands that call the cluster.
type kubeconfigFlags struct {
	path, context *string
}

func addKubeconfigFlags(fs *pflag.FlagSet) kubeconfigFlags {
	return kubeconfigFlags{
		path:    fs.String("kubeconfig", "", "kubeconfig file (default $KUBECONFIG, then ~/.kube/config, then the in-cluster config)"),
		context: fs.String("context", "", "the kubeconfig context to use (default its current context)"),
	}
}

// restConfig loads the client config the flags name, as kubectl does,
// with userAgent set.
func (k kubeconfigFlags) restConfig(userAgent string) (*rest.Config, error) {
	loading := clientcmd.NewDefaultClientConfigLoadingRules()
	loading.ExplicitPath = *k.path
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		loading, &clientcmd.ConfigOverrides{CurrentContext: *k.context}).ClientConfig()
	if err != nil {
		return nil, err
	}
	cfg.UserAgent = userAgent
	return cfg, nil
}
