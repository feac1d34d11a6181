import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend('wasm'); await tf.ready();
function bench(name, f, flops){ for(let i=0;i<3;i++) tf.tidy(()=>{f().dataSync()}); let t=performance.now(); const n=10; for (let i=0;i<n;i++) tf.tidy(()=>{f().dataSync()}); const dt=(performance.now()-t)/n; console.log(name,'ms',dt.toFixed(2),'GFLOP/s',(flops/dt/1e6).toFixed(1)); }
const x=tf.randomNormal([64,28,28,32]); const w=tf.randomNormal([3,3,32,32]);
bench('conv same', ()=>tf.conv2d(x,w,1,'same'), 2*64*28*28*32*32*9);
bench('conv valid', ()=>tf.conv2d(x,w,1,'valid'), 2*64*26*26*32*32*9);
const a=tf.randomNormal([64*784,288]); const b=tf.randomNormal([288,32]);
bench('matmul', ()=>tf.matMul(a,b), 2*64*784*288*32);
const x2=tf.randomNormal([64,14,14,64]); const w2=tf.randomNormal([3,3,64,64]);
bench('conv64', ()=>tf.conv2d(x2,w2,1,'same'), 2*64*14*14*64*64*9);
const xt=tf.randomNormal([32,28,28,64]);const dyt=tf.randomNormal([28,28,64,32]);
bench('bpf as conv', ()=>tf.conv2d(tf.pad(xt,[[0,0],[1,1],[1,1],[0,0]]),dyt,1,'valid'), 2*64*28*28*32*32*9);
